package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// ---- sinks ---------------------------------------------------------------

// sink is a local webhook receiver: it records when each question (by the
// question.id inside the webhook payload) first arrived.
type sink struct {
	name string
	url  string
	srv  *http.Server

	mu    sync.Mutex
	got   map[string]time.Time
	total int
	dups  int
}

func startSinks(n int) ([]*sink, error) {
	var out []*sink
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s := &sink{name: fmt.Sprintf("sink-%d", i+1), url: "http://" + ln.Addr().String() + "/hook", got: map[string]time.Time{}}
		s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
		go s.srv.Serve(ln)
		out = append(out, s)
	}
	return out, nil
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var p struct {
		Question struct {
			ID string `json:"id"`
		} `json:"question"`
	}
	if json.Unmarshal(body, &p) != nil || p.Question.ID == "" {
		http.Error(w, `{"error":"no question.id"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.total++
	if _, ok := s.got[p.Question.ID]; ok {
		s.dups++
	} else {
		s.got[p.Question.ID] = now
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func (s *sink) reset() {
	s.mu.Lock()
	s.got = map[string]time.Time{}
	s.total, s.dups = 0, 0
	s.mu.Unlock()
}

func (s *sink) when(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.got[id]
	return t, ok
}

func (s *sink) counts() (unique, total, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got), s.total, s.dups
}

// ---- client ----------------------------------------------------------------

// client posts questions as JSON. The bodies are prepared once so the load
// generator spends its CPU on HTTP, not on building requests.
type client struct {
	url    string
	hc     *http.Client
	bodies [][]byte
}

func newClient(base string) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		MaxConnsPerHost:     1024, // bounds an open-loop pile-up
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{url: base + "/api/v1/questions", hc: &http.Client{Transport: tr, Timeout: 15 * time.Second}, bodies: questionBodies(256)}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

var sampleTexts = []string{
	"S3 のバケットポリシーで特定の VPC エンドポイントからのアクセスだけを許可したいのですが、aws:SourceVpce 条件キーと aws:SourceVpc のどちらを使うべきでしょうか。\nまた、コンソールからの操作まで拒否されてしまう場合の回避策も教えてください。",
	"How do I rotate the access keys of an IAM user without downtime? The application reads them from environment variables on EC2 and we have three instances behind an ALB.",
	"Lambda のコールドスタートを短くする方法はありますか？ Provisioned Concurrency と SnapStart の違いも知りたいです。",
	"我们的 RDS for MySQL 实例在每天凌晨备份窗口期间 CPU 使用率很高，应用出现超时。应该调整备份窗口还是改用只读副本？",
	"CloudFormation のスタック更新が UPDATE_ROLLBACK_FAILED になりました。ContinueUpdateRollback で ResourcesToSkip を指定する際の注意点を教えてください。",
	"EKS 클러스터에서 노드 그룹을 업그레이드할 때 파드가 중단되지 않게 하려면 PodDisruptionBudget 외에 무엇을 설정해야 하나요?",
	"Is there a way to see which security group rule actually matched a flow? VPC Flow Logs only show ACCEPT/REJECT.",
	"DynamoDB のオンデマンドキャパシティからプロビジョンドに切り替えるタイミングの目安はありますか。\n1日のリクエスト数は約 300 万件で、夜間はほぼゼロです。",
}

func questionBodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		b, _ := json.Marshal(map[string]string{
			"project":  fmt.Sprintf("AWS-%d", 101+i%4),
			"name":     fmt.Sprintf("受講者 %03d", i),
			"question": fmt.Sprintf("%s\n(#%d)", sampleTexts[i%len(sampleTexts)], i),
		})
		out[i] = b
	}
	return out
}

// post sends one question and returns the HTTP status and the question id
// from a 202 (status 0 on a transport error).
func (c *client) post(ctx context.Context, i int) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.bodies[i%len(c.bodies)]))
	if err != nil {
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "opsdesk-bench/1")
	req.Header.Set("Accept-Language", "ja")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, ""
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, ""
	}
	if resp.StatusCode != http.StatusAccepted {
		return resp.StatusCode, ""
	}
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &r)
	return resp.StatusCode, r.ID
}

// warm opens n connections and sends one question on each (not measured).
func (c *client) warm(n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); c.post(context.Background(), i) }()
	}
	wg.Wait()
}

// ---- closed loop (saturation) ----------------------------------------------

type satResult struct {
	Concurrency int
	Accepted    int     // 202s completed inside the measured window
	Errors      int     // non-202 answers and transport errors inside the window
	PerSec      float64 // Accepted / window
	P50, P99    time.Duration
}

// closedLoop runs conc clients, each sending the next question as soon as
// the previous one is answered, for warmup+dur; only requests that complete
// inside the last dur count.
func closedLoop(c *client, conc int, warmup, dur time.Duration) satResult {
	start := time.Now()
	from, until := start.Add(warmup), start.Add(warmup+dur)
	ctx, cancel := context.WithDeadline(context.Background(), until.Add(15*time.Second))
	defer cancel()
	type acc struct {
		lat  []time.Duration
		errs int
	}
	accs := make([]acc, conc)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &accs[w]
			a.lat = make([]time.Duration, 0, 4096)
			for i := w; ; i += conc {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				status, _ := c.post(ctx, i)
				t1 := time.Now()
				if t1.Before(from) || t1.After(until) {
					continue
				}
				if status == http.StatusAccepted {
					a.lat = append(a.lat, t1.Sub(t0))
				} else {
					a.errs++
				}
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	r := satResult{Concurrency: conc}
	for _, a := range accs {
		all = append(all, a.lat...)
		r.Errors += a.errs
	}
	r.Accepted = len(all)
	r.PerSec = float64(r.Accepted) / dur.Seconds()
	sortDur(all)
	r.P50, r.P99 = pct(all, 50), pct(all, 99)
	return r
}

// ---- open loop (fixed rate) ------------------------------------------------

type sent struct {
	at     time.Time // scheduled send time
	done   time.Time // when the answer was read
	status int
	id     string
	warmup bool
}

// openLoop sends rate questions per second for warmup+dur on a fixed
// schedule, whether or not earlier requests have been answered. Latency is
// measured from the scheduled time, so a stalled server is charged for the
// requests that queue behind the stall (no coordinated omission).
func openLoop(c *client, rate int, warmup, dur time.Duration) []sent {
	nWarm := int(float64(rate) * warmup.Seconds())
	n := nWarm + int(float64(rate)*dur.Seconds())
	out := make([]sent, n)
	ctx, cancel := context.WithTimeout(context.Background(), warmup+dur+30*time.Second)
	defer cancel()
	start := time.Now().Add(20 * time.Millisecond)
	var wg sync.WaitGroup
	for i := range n {
		at := start.Add(time.Duration(int64(i) * int64(time.Second) / int64(rate)))
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, id := c.post(ctx, i)
			out[i] = sent{at: at, done: time.Now(), status: status, id: id, warmup: i < nWarm}
		}()
	}
	wg.Wait()
	return out
}

type rateResult struct {
	Rate     int
	Sent     int
	Accepted int
	Errors   int
	Achieved float64 // accepted per second over the measured schedule
	P50, P90 time.Duration
	P99, Max time.Duration
	Over50ms int
}

func summarizeOpen(rate int, dur time.Duration, ss []sent) rateResult {
	r := rateResult{Rate: rate}
	var lat []time.Duration
	for _, s := range ss {
		if s.warmup {
			continue
		}
		r.Sent++
		if s.status != http.StatusAccepted {
			r.Errors++
			// A failed request still counts in the latency distribution
			// (as the time it took to fail).
		} else {
			r.Accepted++
		}
		d := s.done.Sub(s.at)
		lat = append(lat, d)
		if d > 50*time.Millisecond {
			r.Over50ms++
		}
	}
	r.Achieved = float64(r.Accepted) / dur.Seconds()
	sortDur(lat)
	r.P50, r.P90, r.P99 = pct(lat, 50), pct(lat, 90), pct(lat, 99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	return r
}

// ---- fan-out -----------------------------------------------------------------

type fanResult struct {
	Rate       int
	Questions  int // measured questions that got a 202
	Expected   int // Questions × sinks
	Delivered  int // of Expected, seen at the sinks
	Dups       int
	Early      int // deliveries seen before the client had its 202
	P50, P95   time.Duration
	P99, Max   time.Duration
	QP99       time.Duration // per question: the last of its sinks
	Intake99   time.Duration // 202 latency from schedule, for reference
	DrainAfter time.Duration // from the last 202 until every delivery arrived
}

// fanOut sends questions at rate/s and measures, at each sink, the time it
// received the question minus the time the client got the 202 for it.
func fanOut(c *client, sinks []*sink, rate int, warmup, dur, wait time.Duration) fanResult {
	ss := openLoop(c, rate, warmup, dur)
	lastAck := time.Time{}
	var ids []string
	acks := map[string]time.Time{}
	var intake []time.Duration
	for _, s := range ss {
		if s.status != http.StatusAccepted || s.id == "" {
			continue
		}
		if s.done.After(lastAck) {
			lastAck = s.done
		}
		if s.warmup {
			continue
		}
		ids = append(ids, s.id)
		acks[s.id] = s.done
		intake = append(intake, s.done.Sub(s.at))
	}
	r := fanResult{Rate: rate, Questions: len(ids), Expected: len(ids) * len(sinks)}
	// Wait (bounded) until every measured question reached every sink.
	deadline := time.Now().Add(wait)
	for {
		missing := 0
		for _, sk := range sinks {
			for _, id := range ids {
				if _, ok := sk.when(id); !ok {
					missing++
				}
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var lat, qlat []time.Duration
	var lastSeen time.Time
	for _, id := range ids {
		ack := acks[id]
		var worst time.Duration
		all := true
		for _, sk := range sinks {
			t, ok := sk.when(id)
			if !ok {
				all = false
				continue
			}
			r.Delivered++
			if t.After(lastSeen) {
				lastSeen = t
			}
			d := t.Sub(ack)
			if d < 0 {
				r.Early++
				d = 0
			}
			lat = append(lat, d)
			worst = max(worst, d)
		}
		if all {
			qlat = append(qlat, worst)
		} else {
			qlat = append(qlat, undelivered)
		}
	}
	// Deliveries that never arrived within the wait count as infinitely
	// late, so they push the percentiles up instead of vanishing.
	for range r.Expected - r.Delivered {
		lat = append(lat, undelivered)
	}
	for _, sk := range sinks {
		_, _, d := sk.counts()
		r.Dups += d
	}
	if lastSeen.After(lastAck) {
		r.DrainAfter = lastSeen.Sub(lastAck)
	}
	sortDur(lat)
	sortDur(qlat)
	sortDur(intake)
	r.P50, r.P95, r.P99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	r.QP99 = pct(qlat, 99)
	r.Intake99 = pct(intake, 99)
	return r
}

// ---- statistics ----------------------------------------------------------------

// undelivered marks a delivery that never reached its sink.
const undelivered = time.Duration(math.MaxInt64)

func sortDur(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(float64(len(sorted))*p/100+0.999999) - 1
	k = max(0, min(k, len(sorted)-1))
	return sorted[k]
}
