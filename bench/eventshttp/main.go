// Command eventshttp measures how many AWS events per second a running
// opsdesk accepts on POST /api/v1/events (closed loop, C concurrent
// clients), and the latency of each request. Every event has a fresh id,
// so none is absorbed as a duplicate; one of the built-in rules (Support
// Case Update) would match nothing here, so what is measured is intake:
// parse, match against the rules, commit.
//
//	go run ./bench/eventshttp --url http://127.0.0.1:8080 --token odt_… -c 64 -d 10s
//
// bench/eventshttp/run.sh starts opsdesk on SQLite and PostgreSQL and runs
// this for several concurrencies and batch sizes.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "opsdesk base URL")
	token := flag.String("token", os.Getenv("OPSDESK_TOKEN"), "integration token")
	conc := flag.Int("c", 32, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "measured duration")
	warm := flag.Duration("warmup", 2*time.Second, "warm-up before measuring")
	batch := flag.Int("batch", 1, "events per request (an EventBridge array when > 1)")
	flag.Parse()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2}, Timeout: 30 * time.Second}
	var seq atomic.Int64
	run := time.Now().UnixNano()
	body := func() []byte {
		var b bytes.Buffer
		if *batch > 1 {
			b.WriteByte('[')
		}
		for i := 0; i < *batch; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			n := seq.Add(1)
			fmt.Fprintf(&b, `{"version":"0","id":"bench-%d-%d","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch.bench","account":"123456789012","time":"2026-11-21T09:00:00Z","region":"ap-northeast-1","resources":["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:cpu-%d"],"detail":{"alarmName":"cpu-%d","state":{"value":"ALARM","reason":"Threshold Crossed: 1 datapoint [92.5] was greater than the threshold (80.0)."},"previousState":{"value":"OK"}}}`, run, n, n%100, n%100)
		}
		if *batch > 1 {
			b.WriteByte(']')
		}
		return b.Bytes()
	}
	post := func(ctx context.Context) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, *url+"/api/v1/events", bytes.NewReader(body()))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var out struct {
			Accepted int `json:"accepted"`
		}
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusAccepted {
			return 0, fmt.Errorf("%s: %s", resp.Status, raw)
		}
		_ = json.Unmarshal(raw, &out)
		return out.Accepted, nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now().Add(*warm)
	end := start.Add(*dur)
	var mu sync.Mutex
	var lat []time.Duration
	var accepted, errs int64
	var firstErr error
	var wg sync.WaitGroup
	for c := 0; c < *conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				n, err := post(ctx)
				t1 := time.Now()
				if t0.Before(start) || t1.After(end) {
					continue
				}
				if err != nil {
					mu.Lock()
					errs++
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				atomic.AddInt64(&accepted, int64(n))
				mine = append(mine, t1.Sub(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cancel()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	fmt.Printf("c=%d batch=%d: %.0f events/s accepted, %.0f requests/s, p50 %.1f ms, p99 %.1f ms, errors %d\n",
		*conc, *batch, float64(accepted)/dur.Seconds(), float64(len(lat))/dur.Seconds(),
		float64(p(0.50).Microseconds())/1000, float64(p(0.99).Microseconds())/1000, errs)
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "first error:", firstErr)
	}
}
