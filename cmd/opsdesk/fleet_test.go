package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// Tuning of TestFleet. The delays of the fakes keep work in flight on the
// replica that is killed: a send to the slow webhook takes fleetHookDelay,
// an escalation step waits fleetConnectDelay for Connect's answer (and keeps
// its claim meanwhile).
const (
	fleetReplicas     = 3
	fleetHookDelay    = time.Second
	fleetConnectDelay = 1200 * time.Millisecond
	// Each replica is sent a question every fleetQuestionEvery.
	fleetQuestionEvery = 100 * time.Millisecond
	fleetAlertsBefore  = 6 // alerts posted before the kill, round robin
	fleetAlertsAfter   = 2 // and after it, to the survivors
	// The leader is killed once every replica has answered
	// fleetMinPerReplica questions; the stream stops when the failover is
	// measured and at least fleetMinQuestions were answered.
	fleetMinPerReplica = 25
	fleetMinQuestions  = 300
	// The leader is killed in the middle of placing a call if it starts
	// one within fleetPreferPlace of the first look; otherwise in the
	// middle of any step.
	fleetPreferPlace = 15 * time.Second
	// The failover targets of docs/fleet.md (Failover).
	fleetEscalationTarget = 10 * time.Second
	fleetDeliveryTarget   = 15 * time.Second
)

// The call list of the fleet test's system: the first two let it ring
// out, the third acknowledges.
var fleetPhones = []string{"+819011110001", "+819022220002", "+819033330003"}

// member is one replica of the fleet under test.
type member struct {
	idx int
	tag string // the ?from= of its webhook URLs: which replica sent a request
	id  string // its replica id (replicas.id, River's client id)
	p   *proc
}

func (m *member) url(path string) string { return "http://" + m.p.addr + path }

// TestFleet runs three replicas as real processes on one empty PostgreSQL
// database, with questions and escalating alerts flowing, and SIGKILLs the
// River leader while it is sending deliveries and running escalation steps.
// Nothing answered 2xx may be lost, no call may be placed twice, every
// attachment must be served by every replica, and the dead replica's work
// must resume on the survivors within the targets of docs/fleet.md: its
// escalation steps within 10 s, its deliveries within 15 s. The figures
// are logged as a FAILOVER line (bench/failover/run.sh collects them).
func TestFleet(t *testing.T) {
	began := time.Now()
	ctx := context.Background()

	// Three webhook destinations; "slow" holds its answers so that sends
	// are in flight when the leader dies.
	hooks := map[string]*fake.Webhook{
		"slow":  fake.NewWebhook(t, fake.WithSecret("fleet-s3cret")),
		"fast1": fake.NewWebhook(t),
		"fast2": fake.NewWebhook(t),
	}
	hookNames := []string{"slow", "fast1", "fast2"}
	hooks["slow"].SetDelay(fleetHookDelay)

	// Amazon Connect: two people let the phone ring out, the third
	// presses 1. Every alert calls each of them exactly once.
	cn := fake.NewConnect(t)
	cn.SetDelay(fleetConnectDelay)
	for range fleetAlertsBefore + fleetAlertsAfter {
		cn.Script(fleetPhones[0], fake.NoAnswer().Ring(4*time.Second))
		cn.Script(fleetPhones[1], fake.NoAnswer().Ring(4*time.Second))
		cn.Script(fleetPhones[2], fake.Answer("1").Ring(2*time.Second).PressAfter(2*time.Second).Talk(4*time.Second))
	}

	// AWS Support: two cases with attachments (one larger than a chunk of
	// the database blob store), archived by whichever replica runs the
	// sync job and served by every replica.
	sup := fake.NewSupport(t)
	supCases, wantAttachments := fleetSupportCases()
	sup.Load(supCases)
	// Support takes its own credentials (profile "support"); Connect the
	// environment's.
	credFile := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credFile, []byte("[support]\naws_access_key_id = "+sup.AccessKeyID()+"\naws_secret_access_key = "+sup.SecretAccessKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOOK_SECRET=fleet-s3cret",
		"AWS_ENDPOINT_URL_CONNECT=" + cn.URL(), "AWS_ACCESS_KEY_ID=" + fake.ConnectAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + fake.ConnectSecretAccessKey,
		"AWS_ENDPOINT_URL_SUPPORT=" + sup.URL(), "AWS_SHARED_CREDENTIALS_FILE=" + credFile, "AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
	}

	// 1. Three replicas at once on an empty database, no "opsdesk
	// migrate" first: each migrates under the lock or waits for it.
	db := storetest.DatabaseURL(t, store.Postgres)
	members := make([]*member, fleetReplicas)
	for i := range members {
		m := &member{idx: i, tag: fmt.Sprintf("r%d", i)}
		cfg := writeConfig(t, db, fleetConfig(m.tag, hooks, cn))
		m.p = spawnProc(t, cfg, freeAddr(t), env...)
		members[i] = m
	}
	for _, m := range members {
		m.p.waitReady(t, 60*time.Second)
	}
	startedIn := time.Since(began)

	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	byID := map[string]*member{}
	waitFor(t, 30*time.Second, "three replicas in the replicas table", func() bool {
		rows, err := st.R.Query(`SELECT id, pid FROM replicas`)
		if err != nil {
			return false
		}
		defer rows.Close()
		clear(byID)
		for rows.Next() {
			var id string
			var pid int
			if err := rows.Scan(&id, &pid); err != nil {
				return false
			}
			for _, m := range members {
				if m.p.cmd.Process.Pid == pid {
					m.id = id
					byID[id] = m
				}
			}
		}
		return len(byID) == fleetReplicas
	})
	leader := func() *member {
		var id string
		_ = st.R.QueryRow(`SELECT leader_id FROM river_leader`).Scan(&id)
		return byID[id]
	}
	waitFor(t, 30*time.Second, "a River leader among the replicas", func() bool { return leader() != nil })

	// 2. The case archive: synced once (periodic job), every attachment
	// in the database and served by every replica, with one session made
	// on one replica (sessions are in the database: no sticky sessions).
	atts := waitAttachments(t, st, len(wantAttachments))
	seen := map[string]bool{}
	for _, a := range atts {
		if _, ok := wantAttachments[a.sha256]; !ok || seen[a.sha256] {
			t.Fatalf("attachment %s of case %s stored with SHA-256 %s: not one of the files in the archive, or stored twice", a.name, a.caseID, a.sha256)
		}
		seen[a.sha256] = true
	}
	if _, err := auth.New(st, time.Now).AddUser(ctx, "fleet", auth.RoleViewer, "fleet-viewer-password"); err != nil {
		t.Fatal(err)
	}
	session := login(t, members[0], "fleet", "fleet-viewer-password")
	for _, m := range members {
		checkAttachments(t, m, session, atts)
	}

	// 3. A stream of questions to every replica, and alerts escalating,
	// posted round robin as the stream goes (one every dozen questions, so
	// that their calls are placed at different times).
	tok := createToken(t, st)
	str := startStream(members)
	defer str.stop()
	var alertIDs []int64
	for i := range fleetAlertsBefore {
		waitFor(t, 30*time.Second, "questions answered", func() bool { return sum(str.counts()) >= 12*i })
		alertIDs = append(alertIDs, postAlert(t, members[i%fleetReplicas], tok, i))
	}
	waitFor(t, 30*time.Second, "every replica answering questions", func() bool {
		return slices.Min(str.counts()) >= fleetMinPerReplica
	})

	// 4. Kill the leader while it is working: one of its escalation steps
	// was claimed a moment ago (it waits for Connect; a placement of a call
	// if one comes within fleetPreferPlace), and one of its sends to the
	// slow webhook is waiting for the answer.
	victim, held, claimedFresh := awaitBusyLeader(t, st, leader, hooks["slow"])
	var survivors []*member
	for _, m := range members {
		if m != victim {
			survivors = append(survivors, m)
		}
	}
	str.victim(victim)
	killedAt := time.Now()
	if err := victim.p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.p.exited
	t.Logf("SIGKILLed the River leader %s (replica %s) %s after the start, %s at most after it claimed escalation step(s) %v",
		victim.tag, victim.id, killedAt.Sub(began).Round(time.Millisecond), claimedFresh.Round(time.Millisecond), held)

	// What the dead replica held, read before anyone can have taken it
	// over (that takes 5 s of silence): its claims, and its sends whose
	// outcome it never recorded.
	fresh := held
	held = heldAtDeath(t, st, victim)
	for _, f := range fresh {
		if !slices.Contains(held, f) {
			t.Logf("the leader finished step %d of alert %d between the last look and the kill", f.step, f.alertID)
		}
	}
	if len(held) == 0 {
		t.Fatalf("the leader finished every escalation step it had claimed before it died: nothing to fail over (kill timing)")
	}
	inFlight := unrecordedSends(t, st, hooks, victim)
	nInFlight := 0
	for _, keys := range inFlight {
		nInFlight += len(keys)
	}
	if len(inFlight["slow"]) == 0 {
		t.Fatalf("the leader had no unrecorded send to the slow webhook when it died (kill timing)")
	}
	var jobsHeld int
	_ = st.R.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`, victim.id).Scan(&jobsHeld)
	t.Logf("at the kill the leader held %d escalation step(s) %v, %d running job(s), %d send(s) in flight (unrecorded): %v", len(held), held, jobsHeld, nInFlight, inFlightCounts(inFlight))

	// Alerts keep coming, to the survivors.
	for i := range fleetAlertsAfter {
		alertIDs = append(alertIDs, postAlert(t, survivors[i%len(survivors)], tok, fleetAlertsBefore+i))
	}

	// 5. Failover, measured from the kill: (a) each escalation step the
	// dead replica had claimed is taken by a survivor; (b) each of its
	// unrecorded sends is sent again by a survivor; (c) a survivor leads.
	fo := measureFailover(t, st, victim, survivors, held, hooks, inFlight, killedAt, leader)
	t.Logf("FAILOVER escalation=%.2fs escalation_last=%.2fs deliveries=%.2fs deliveries_last=%.2fs leader=%.2fs",
		fo.escFirst.Seconds(), fo.escLast.Seconds(), fo.delFirst.Seconds(), fo.delLast.Seconds(), fo.leader.Seconds())
	if fo.escLast > fleetEscalationTarget {
		t.Errorf("escalation steps of the dead replica resumed after %s (first %s); target %s", fo.escLast, fo.escFirst, fleetEscalationTarget)
	}
	if fo.delLast > fleetDeliveryTarget {
		t.Errorf("deliveries of the dead replica resumed after %s (first %s); target %s", fo.delLast, fo.delFirst, fleetDeliveryTarget)
	}
	// The stream goes on until a few hundred questions were accepted.
	waitFor(t, 30*time.Second, fmt.Sprintf("%d questions accepted", fleetMinQuestions), func() bool {
		return sum(str.counts()) >= fleetMinQuestions
	})
	accepted, perReplica := str.stop()
	t.Logf("questions answered 202: %d (per replica %v)", len(accepted), perReplica)
	if perReplica[victim.idx] == 0 {
		t.Errorf("the killed replica answered no question before it died")
	}

	// 6. Nothing answered 202 is lost: every question is stored and
	// delivered to every destination, once per key.
	waitDelivered(t, st, hooks, len(hookNames), 90*time.Second)
	stored := map[string]bool{}
	rows, err := st.R.Query(`SELECT ref FROM questions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			t.Fatal(err)
		}
		stored[ref] = true
	}
	rows.Close()
	for ref := range accepted {
		if !stored[ref] {
			t.Errorf("question %s was answered 202 but is not stored", ref)
		}
	}
	dups := 0
	for _, name := range hookNames {
		dups += checkHook(t, name, hooks[name], accepted, stored, inFlight[name])
	}
	if dups > nInFlight {
		t.Errorf("%d deliveries repeated; at most the %d sends in flight at the kill may be", dups, nInFlight)
	}
	t.Logf("deliveries: %d questions stored × %d destinations; %d repeated after the kill (same Idempotency-Key), %d sends were in flight", len(stored), len(hookNames), dups, nInFlight)

	// 7. Every alert answered 202 is stored and escalates to the end; no
	// call is placed twice.
	checkAlerts(t, st, cn, alertIDs, killedAt)

	// 8. The survivors still serve every attachment.
	for _, m := range survivors {
		checkAttachments(t, m, session, atts)
	}
	for _, m := range survivors {
		if out := m.p.output.String(); strings.Contains(out, "panic") {
			t.Errorf("replica %s logged a panic:\n%s", m.tag, out)
		}
	}
	t.Logf("fleet test took %s (replicas ready after %s)", time.Since(began).Round(100*time.Millisecond), startedIn.Round(100*time.Millisecond))
}

// fleetConfig is the configuration of one replica. Only the webhook URLs
// differ between replicas (?from=tag), so that the fakes can tell which
// replica sent a request.
func fleetConfig(tag string, hooks map[string]*fake.Webhook, cn *fake.Connect) string {
	hook := func(name string) string { return hooks[name].URL() + "?from=" + tag }
	return `deliveries:
  timeout: 5s
  workers: 48
  per_destination: 12
destinations:
  - {name: slow, type: webhook, url: '` + hook("slow") + `', secret_env: HOOK_SECRET}
  - {name: fast1, type: webhook, url: '` + hook("fast1") + `'}
  - {name: fast2, type: webhook, url: '` + hook("fast2") + `'}
routes:
  questions: [slow, fast1, fast2]
aws:
  accounts:
    - {name: prod, profile: support, languages: [en]}
alerts:
  connect:
    instance_id: ` + cn.InstanceID() + `
    contact_flow_id: ` + cn.ContactFlowID() + `
    source_phone: "` + cn.SourcePhone() + `"
    region: ` + cn.Region() + `
    rate_per_second: 100
    poll_interval: 2s
    per_number_max_calls_per_hour: 0
  systems:
    - name: FLEET
      rounds: 1
      contacts:
        - {name: Sato, phone: "` + fleetPhones[0] + `"}
        - {name: Suzuki, phone: "` + fleetPhones[1] + `"}
        - {name: Tanaka, phone: "` + fleetPhones[2] + `"}
`
}

// fleetSupportCases are two Support cases with three attachments: a text
// file, a binary file and one of 1.5 MB (two chunks in the database). It
// returns the contents by SHA-256.
func fleetSupportCases() ([]fake.SupportCase, map[string][]byte) {
	data := fake.SupportGen{Cases: 2, Seed: 10, Languages: []string{"en"}, Communications: 2, NoAttachments: true}.Generate()
	r := rand.New(rand.NewPCG(10, 20))
	bin := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	att := func(id, name string, b []byte) fake.SupportAttachment {
		return fake.SupportAttachment{ID: id, FileName: name, Size: len(b), Data: b}
	}
	data[0].Communications[0].Attachments = []fake.SupportAttachment{
		att("attachment-fleet-notes", "notes.txt", []byte(strings.Repeat("fleet test: 障害の調査ログ\n", 800))),
		att("attachment-fleet-trace", "trace.bin", bin(300<<10)),
	}
	data[1].Communications[1].Attachments = []fake.SupportAttachment{att("attachment-fleet-heap", "heap.bin", bin(1536<<10))}
	want := map[string][]byte{}
	for _, c := range data {
		for _, m := range c.Communications {
			for _, a := range m.Attachments {
				sum := sha256.Sum256(a.Data)
				want[hex.EncodeToString(sum[:])] = a.Data
			}
		}
	}
	return data, want
}

type storedAttachment struct {
	id     int64
	caseID string
	name   string
	sha256 string
}

// waitAttachments waits until n attachments are stored and returns them.
func waitAttachments(t *testing.T, st *store.Store, n int) []storedAttachment {
	t.Helper()
	var out []storedAttachment
	waitFor(t, 60*time.Second, fmt.Sprintf("%d attachments archived", n), func() bool {
		out = out[:0]
		rows, err := st.R.Query(`SELECT a.id, c.case_id, a.file_name, a.sha256 FROM case_attachments a JOIN cases c ON c.id = a.case_ref WHERE a.status = 'stored' ORDER BY a.id`)
		if err != nil {
			return false
		}
		defer rows.Close()
		for rows.Next() {
			var a storedAttachment
			if err := rows.Scan(&a.id, &a.caseID, &a.name, &a.sha256); err != nil {
				return false
			}
			out = append(out, a)
		}
		return len(out) == n
	})
	return out
}

// login opens a console session on one replica and returns its cookie.
func login(t *testing.T, m *member, name, password string) *http.Cookie {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(m.url("/login"), url.Values{"name": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "opsdesk_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("login on %s: %d, no session cookie", m.tag, resp.StatusCode)
	return nil
}

// checkAttachments downloads every attachment from one replica's console
// and compares its SHA-256.
func checkAttachments(t *testing.T, m *member, session *http.Cookie, atts []storedAttachment) {
	t.Helper()
	for _, a := range atts {
		req, _ := http.NewRequest(http.MethodGet, m.url(fmt.Sprintf("/cases/%s/attachments/%d", url.PathEscape(a.caseID), a.id)), nil)
		req.AddCookie(session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("replica %s: attachment %s: %v", m.tag, a.name, err)
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		resp.Body.Close()
		got := hex.EncodeToString(h.Sum(nil))
		if resp.StatusCode != http.StatusOK || err != nil || got != a.sha256 {
			t.Errorf("replica %s: attachment %s of case %s: %d, %d bytes, SHA-256 %s (%v); want 200 and %s", m.tag, a.name, a.caseID, resp.StatusCode, n, got, err, a.sha256)
		}
	}
}

// postAlert sends one alert of the system FLEET to a replica and returns
// its id.
func postAlert(t *testing.T, m *member, tok string, n int) int64 {
	t.Helper()
	body := fmt.Sprintf(`{"alertinfo":[{"host":"fleet-host-%d","service":"CPU Utilization","lastcheck":"%s","systemname":"FLEET"}]}`,
		n, time.Now().UTC().Format("2006-01-02 15:04:05"))
	req, _ := http.NewRequest(http.MethodPost, m.url("/api/v1/alerts"), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Alerts []struct {
			ID     int64  `json:"id"`
			Action string `json:"action"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted || len(out.Alerts) != 1 || out.Alerts[0].ID == 0 || out.Alerts[0].Action != "opened" {
		t.Fatalf("alert %d to %s: %d %+v %v", n, m.tag, resp.StatusCode, out, err)
	}
	return out.Alerts[0].ID
}

// stream posts questions to every replica at a steady pace, one client
// per replica, and remembers every question answered 202.
type stream struct {
	mu       sync.Mutex
	accepted map[string]int // ref → replica index
	per      []int
	dead     *member
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

func startStream(members []*member) *stream {
	s := &stream{accepted: map[string]int{}, per: make([]int, len(members)), done: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, m := range members {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			tick := time.NewTicker(fleetQuestionEvery)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-s.done:
					return
				case <-tick.C:
				}
				s.mu.Lock()
				dead := s.dead == m
				s.mu.Unlock()
				if dead {
					return
				}
				body := fmt.Sprintf(`{"project":"fleet","name":"%s","question":"question %d to replica %s: 障害"}`, m.tag, i, m.tag)
				resp, err := client.Post(m.url("/api/v1/questions"), "application/json", strings.NewReader(body))
				if err != nil {
					continue // the replica is gone: nothing was promised
				}
				var r struct{ ID string }
				_ = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted && r.ID != "" {
					s.mu.Lock()
					s.accepted[r.ID] = m.idx
					s.per[m.idx]++
					s.mu.Unlock()
				}
			}
		}()
	}
	return s
}

// counts is how many questions each replica answered 202 so far.
func (s *stream) counts() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.per)
}

// victim stops the client of the replica about to be killed after its
// requests in flight (their answers, if 202, still count).
func (s *stream) victim(m *member) {
	s.mu.Lock()
	s.dead = m
	s.mu.Unlock()
}

// stop ends the stream and returns the questions answered 202, and how
// many each replica answered.
func (s *stream) stop() (map[string]int, []int) {
	s.once.Do(func() { close(s.done) })
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, slices.Clone(s.per)
}

// heldStep is an escalation step claimed by a replica.
type heldStep struct {
	alertID int64
	step    int64
	state   string
}

// awaitBusyLeader waits until the River leader has claimed an escalation
// step less than 600 ms ago (its step then waits for Connect's answer for
// at least another fleetConnectDelay - 600 ms; a placement of a call is
// preferred for fleetPreferPlace) and has a send to the slow webhook whose
// answer is still 400 ms or more away. It returns the leader, the fresh
// steps it holds and how long ago the oldest of them was claimed at most.
func awaitBusyLeader(t *testing.T, st *store.Store, leader func() *member, slow *fake.Webhook) (*member, []heldStep, time.Duration) {
	t.Helper()
	anyStepAfter := time.Now().Add(fleetPreferPlace)
	type claimKey struct {
		alertID, step, until int64
		by                   string
	}
	// When each claim was first seen; claims already there at the first
	// look are of unknown age (the zero time: never fresh).
	firstSeen := map[claimKey]time.Time{}
	primed := false
	deadline := time.Now().Add(45 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the River leader never held a fresh escalation claim and a send in flight at once within 45s")
		}
		time.Sleep(10 * time.Millisecond)
		l := leader()
		if l == nil {
			continue
		}
		now := time.Now()
		rows, err := st.R.Query(`SELECT alert_id, step, claimed_until, claimed_by, state FROM alert_escalations WHERE claimed_until > $1`, now.UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		var fresh []heldStep
		placing := false
		oldest := time.Duration(0)
		for rows.Next() {
			var k claimKey
			var state string
			if err := rows.Scan(&k.alertID, &k.step, &k.until, &k.by, &state); err != nil {
				t.Fatal(err)
			}
			seen, ok := firstSeen[k]
			if !ok && primed {
				seen = now
			}
			if !ok {
				firstSeen[k] = seen
			}
			if k.by == l.id && now.Sub(seen) < 600*time.Millisecond {
				fresh = append(fresh, heldStep{k.alertID, k.step, state})
				oldest = max(oldest, now.Sub(seen))
				placing = placing || state == "place"
			}
		}
		rows.Close()
		primed = true
		if len(fresh) == 0 || !placing && now.Before(anyStepAfter) {
			continue
		}
		for _, r := range slices.Backward(slow.Requests()) {
			age := time.Since(r.At)
			if age > fleetHookDelay {
				break
			}
			if r.Query.Get("from") == l.tag && age < fleetHookDelay-400*time.Millisecond {
				return l, fresh, oldest + 20*time.Millisecond
			}
		}
	}
}

// heldAtDeath returns the escalation steps the dead replica held: claimed
// by it and neither finished (a transition clears the claim) nor released.
// Nothing else changes these rows until the others declare it dead.
func heldAtDeath(t *testing.T, st *store.Store, dead *member) []heldStep {
	t.Helper()
	rows, err := st.R.Query(`SELECT alert_id, step, state FROM alert_escalations WHERE claimed_by = $1 AND claimed_until > 0 ORDER BY alert_id`, dead.id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []heldStep
	for rows.Next() {
		var h heldStep
		if err := rows.Scan(&h.alertID, &h.step, &h.state); err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// unrecordedSends returns, per destination, the idempotency keys the dead
// replica sent whose outcome it never recorded (the delivery is still
// pending): exactly the sends a survivor must make again.
func unrecordedSends(t *testing.T, st *store.Store, hooks map[string]*fake.Webhook, dead *member) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for name, h := range hooks {
		out[name] = map[string]bool{}
		for _, r := range h.Requests() {
			if r.Query.Get("from") != dead.tag {
				continue
			}
			key := r.Header.Get("Idempotency-Key")
			id, err := strconv.ParseInt(key[strings.LastIndexByte(key, '-')+1:], 10, 64)
			if err != nil {
				t.Fatalf("%s: Idempotency-Key %q does not end in a delivery id", name, key)
			}
			var status string
			if err := st.R.QueryRow(`SELECT status FROM deliveries WHERE id = $1`, id).Scan(&status); err != nil {
				t.Fatalf("%s: delivery %d of key %s: %v", name, id, key, err)
			}
			if status == "pending" {
				out[name][key] = true
			}
		}
	}
	return out
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func inFlightCounts(m map[string]map[string]bool) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

type failover struct {
	escFirst, escLast time.Duration
	delFirst, delLast time.Duration
	leader            time.Duration
}

// measureFailover watches, from the kill, for (a) every escalation step the
// dead replica held to be claimed by a survivor (or to have moved on), (b)
// every send it had in flight to be made again by a survivor (the fakes'
// request times), and (c) a survivor to become the River leader.
func measureFailover(t *testing.T, st *store.Store, dead *member, survivors []*member, held []heldStep, hooks map[string]*fake.Webhook,
	inFlight map[string]map[string]bool, killedAt time.Time, leader func() *member) failover {
	t.Helper()
	escAt := map[int64]time.Duration{}
	resent := map[string]time.Duration{} // hook + key → when a survivor sent it again
	want := 0
	for _, keys := range inFlight {
		want += len(keys)
	}
	var fo failover
	deadline := killedAt.Add(fleetDeliveryTarget + 15*time.Second)
	for {
		now := time.Now()
		for _, h := range held {
			if _, done := escAt[h.alertID]; done {
				continue
			}
			var step int64
			var by string
			var until int64
			err := st.R.QueryRow(`SELECT step, claimed_by, claimed_until FROM alert_escalations WHERE alert_id = $1`, h.alertID).Scan(&step, &by, &until)
			switch {
			case err == sql.ErrNoRows: // a survivor ended it
				escAt[h.alertID] = now.Sub(killedAt)
			case err != nil:
				t.Fatal(err)
			case step != h.step || by != dead.id && until > 0:
				if by == dead.id {
					t.Fatalf("escalation of alert %d moved on under the dead replica's id", h.alertID)
				}
				escAt[h.alertID] = now.Sub(killedAt)
			}
		}
		for name, keys := range inFlight {
			for _, r := range hooks[name].Requests() {
				key := r.Header.Get("Idempotency-Key")
				if !keys[key] || !r.At.After(killedAt) {
					continue
				}
				if r.Query.Get("from") == dead.tag {
					t.Fatalf("%s: a request from the dead replica arrived %s after the kill", name, r.At.Sub(killedAt))
				}
				if _, ok := resent[name+" "+key]; !ok {
					resent[name+" "+key] = r.At.Sub(killedAt)
				}
			}
		}
		if fo.leader == 0 {
			if l := leader(); l != nil && l != dead {
				fo.leader = now.Sub(killedAt)
			}
		}
		if len(escAt) == len(held) && len(resent) == want && fo.leader > 0 {
			break
		}
		if now.After(deadline) {
			t.Fatalf("after %s: %d of %d escalation steps of the dead replica resumed, %d of %d of its sends made again, new leader after %s",
				now.Sub(killedAt), len(escAt), len(held), len(resent), want, fo.leader)
		}
		time.Sleep(20 * time.Millisecond)
	}
	first := func(m map[int64]time.Duration) (lo, hi time.Duration) {
		for _, d := range m {
			if lo == 0 || d < lo {
				lo = d
			}
			hi = max(hi, d)
		}
		return lo, hi
	}
	fo.escFirst, fo.escLast = first(escAt)
	for _, d := range resent {
		if fo.delFirst == 0 || d < fo.delFirst {
			fo.delFirst = d
		}
		fo.delLast = max(fo.delLast, d)
	}
	// The survivors say what they released.
	for _, m := range survivors {
		for _, line := range strings.Split(m.p.output.String(), "\n") {
			if strings.Contains(line, "stopped heartbeating") {
				t.Logf("replica %s: %s", m.tag, line)
			}
		}
	}
	return fo
}

// waitDelivered waits until every stored question is delivered to every
// destination; a failed delivery fails the test at once.
func waitDelivered(t *testing.T, st *store.Store, hooks map[string]*fake.Webhook, dests int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var questions, delivered, failed int
		_ = st.R.QueryRow(`SELECT count(*) FROM questions`).Scan(&questions)
		_ = st.R.QueryRow(`SELECT count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'failed') FROM deliveries`).Scan(&delivered, &failed)
		if failed > 0 {
			t.Fatalf("%d deliveries failed", failed)
		}
		if delivered == questions*dests {
			return
		}
		if time.Now().After(deadline) {
			rows, _ := st.R.Query(`SELECT d.id, d.destination, d.attempts, d.updated_at, d.last_error FROM deliveries d WHERE status = 'pending' ORDER BY id LIMIT 10`)
			for rows != nil && rows.Next() {
				var id, att, upd int64
				var dest, le string
				_ = rows.Scan(&id, &dest, &att, &upd, &le)
				t.Logf("pending: delivery %d to %s, %d attempts, updated %s, error %q", id, dest, att, store.Time(upd), le)
			}
			if rows != nil {
				rows.Close()
			}
			t.Fatalf("after %s: %d of %d deliveries delivered", timeout, delivered, questions*dests)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkHook checks one destination: every stored question arrived, every
// question under one key, and a key arrived twice only if the dead
// replica's send of it was in flight. It returns the repeats.
func checkHook(t *testing.T, name string, h *fake.Webhook, accepted map[string]int, stored map[string]bool, inFlight map[string]bool) int {
	t.Helper()
	keys := map[string]map[string]bool{} // question → keys
	repeats := 0
	for _, d := range h.Deliveries() {
		q := d.Payload.Question.ID
		if keys[q] == nil {
			keys[q] = map[string]bool{}
		}
		keys[q][d.IdempotencyKey] = true
		if d.Duplicate {
			repeats++
			if !inFlight[d.IdempotencyKey] {
				t.Errorf("%s: %s (question %s) received twice, but the dead replica had no send of it in flight", name, d.IdempotencyKey, q)
			}
		}
	}
	for q, ks := range keys {
		if len(ks) != 1 {
			t.Errorf("%s: question %s received under %d keys %v", name, q, len(ks), ks)
		}
		if !stored[q] {
			t.Errorf("%s: received question %s, which is not stored", name, q)
		}
	}
	for ref := range accepted {
		if keys[ref] == nil {
			t.Errorf("%s: question %s was answered 202 but never arrived", name, ref)
		}
	}
	if len(keys) != len(stored) || h.UniqueCount() != len(stored) {
		t.Errorf("%s: %d questions under %d keys received; %d stored", name, len(keys), h.UniqueCount(), len(stored))
	}
	return repeats
}

// checkAlerts waits until every alert has escalated to the end (the third
// person acknowledges) and checks the calls: each person called once per
// alert, every ClientToken one contact, and the database's call history
// matching what Connect placed.
func checkAlerts(t *testing.T, st *store.Store, cn *fake.Connect, ids []int64, killedAt time.Time) {
	t.Helper()
	waitFor(t, 90*time.Second, fmt.Sprintf("%d alerts acknowledged by the third person", len(ids)), func() bool {
		var n int
		_ = st.R.QueryRow(`SELECT count(*) FROM alerts WHERE status = 'acknowledged' AND acked_by = 'Tanaka (phone)'`).Scan(&n)
		return n == len(ids)
	})
	var total int
	_ = st.R.QueryRow(`SELECT count(*) FROM alerts`).Scan(&total)
	if total != len(ids) {
		t.Errorf("%d alerts stored; %d answered 202", total, len(ids))
	}
	calls := cn.Calls()
	byToken := map[string]fake.ConnectCall{}
	contacts := map[string]bool{}
	perAlertNumber := map[string]int{}
	for _, c := range calls {
		if prev, ok := byToken[c.ClientToken]; ok {
			t.Errorf("ClientToken %s placed two calls: %s and %s", c.ClientToken, prev.ContactID, c.ContactID)
		}
		byToken[c.ClientToken] = c
		contacts[c.ContactID] = true
		perAlertNumber[c.Attributes["alert_id"]+" "+c.Number]++
	}
	if len(contacts) != len(byToken) || len(calls) != len(byToken) {
		t.Errorf("%d calls, %d contacts, %d ClientTokens", len(calls), len(contacts), len(byToken))
	}
	for k, n := range perAlertNumber {
		if n != 1 {
			t.Errorf("alert/number %s called %d times", k, n)
		}
	}
	if len(calls) != len(ids)*len(fleetPhones) {
		t.Errorf("%d calls placed for %d alerts; want %d", len(calls), len(ids), len(ids)*len(fleetPhones))
	}
	for _, id := range ids {
		rows, err := st.R.Query(`SELECT round, position, phone, client_token, contact_id, outcome FROM alert_calls WHERE alert_id = $1 ORDER BY round, position`, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		slots := map[string]string{} // round/position → token
		for rows.Next() {
			var round, pos int
			var phone, token, contact, outcome string
			if err := rows.Scan(&round, &pos, &phone, &token, &contact, &outcome); err != nil {
				t.Fatal(err)
			}
			slot := fmt.Sprintf("%d/%d", round, pos)
			if prev, ok := slots[slot]; ok && prev != token {
				t.Errorf("alert %d, round/position %s: two ClientTokens %s and %s", id, slot, prev, token)
			}
			slots[slot] = token
			c, ok := byToken[token]
			switch {
			case !ok:
				t.Errorf("alert %d: call %s to %s (token %s) was never placed at Connect", id, slot, phone, token)
			case c.ContactID != contact || c.Number != phone || c.Attributes["alert_id"] != strconv.FormatInt(id, 10):
				t.Errorf("alert %d: call %s recorded as contact %s to %s; Connect placed %s to %s for alert %s", id, slot, contact, phone, c.ContactID, c.Number, c.Attributes["alert_id"])
			}
			got = append(got, phone+"/"+outcome)
		}
		rows.Close()
		want := fleetPhones[0] + "/no_answer," + fleetPhones[1] + "/no_answer," + fleetPhones[2] + "/acknowledged"
		if strings.Join(got, ",") != want {
			t.Errorf("alert %d: calls %v; want %s", id, got, want)
		}
	}
	// Requests repeated with the same ClientToken (a step cut off by the
	// kill and run again): Connect answered them with the first contact.
	repeats := map[string][]string{}
	for _, r := range cn.Requests() {
		var in struct{ ClientToken string }
		if r.Path != "/contact/outbound-voice" || json.Unmarshal(r.Body, &in) != nil {
			continue
		}
		repeats[in.ClientToken] = append(repeats[in.ClientToken], fmt.Sprintf("%+.2fs", r.At.Sub(killedAt).Seconds()))
	}
	for tok, at := range repeats {
		if len(at) > 1 {
			c := byToken[tok]
			t.Logf("alert %s, %s: StartOutboundVoiceContact with one ClientToken at %v from the kill; one call (%s)", c.Attributes["alert_id"], c.Number, at, c.ContactID)
		}
	}
	t.Logf("alerts: %d escalated to the end, %d calls placed, %d StartOutboundVoiceContact requests (%d repeated with the same ClientToken)",
		len(ids), len(calls), cn.OpCount("StartOutboundVoiceContact"), cn.OpCount("StartOutboundVoiceContact")-len(calls))
}

// TestFleetSeedsSystemsAtOnce is what every replica of a fleet started at
// once on an empty database does with the call lists of its configuration
// file: seed them into the database, all at the same time. None may fail
// (a replica that fails here exits during start-up). Twenty rounds of
// eight replicas, each round on an empty alert_systems table.
func TestFleetSeedsSystemsAtOnce(t *testing.T) {
	st := storetest.New(t, store.Postgres)
	systems := []config.AlertSystem{{Name: "FLEET", Rounds: 1, Contacts: []config.AlertContact{
		{Name: "Sato", Phone: fleetPhones[0]}, {Name: "Suzuki", Phone: fleetPhones[1]}, {Name: "Tanaka", Phone: fleetPhones[2]},
	}}}
	const replicas = 8
	svcs := make([]*alerts.Service, replicas)
	for i := range svcs {
		svcs[i] = alerts.New(st, alerts.Options{})
	}
	failed := 0
	var first error
	for round := range 20 {
		if _, err := st.W.Exec(`DELETE FROM alert_systems`); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, replicas)
		start := make(chan struct{})
		for _, svc := range svcs {
			go func() {
				<-start
				_, err := svc.SeedSystems(context.Background(), systems, func(string) bool { return true })
				errs <- err
			}()
		}
		close(start)
		for range replicas {
			if err := <-errs; err != nil {
				failed++
				if first == nil {
					first = fmt.Errorf("round %d: %w", round, err)
				}
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d seeds failed; the first: %v", failed, 20*replicas, first)
	}
	var contacts int
	if err := st.R.QueryRow(`SELECT count(*) FROM alert_contacts`).Scan(&contacts); err != nil || contacts != len(systems[0].Contacts) {
		t.Errorf("%d contacts after seeding (%v); want %d", contacts, err, len(systems[0].Contacts))
	}
}
