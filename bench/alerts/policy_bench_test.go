package alertsbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// BenchmarkPolicyThousand (issue 12): BENCH_ALERTS (1,000) alerts in one
// request, each escalating through a policy of three steps — a post to a
// chat destination, then an SMS (End User Messaging), then a call
// (Connect) — two seconds apart, one round, against the fakes on
// loopback. It reports how late every engine step and every notification
// ran against its due time, and the first notification of each alert: from
// the 202 to its chat post arriving at the destination.
func BenchmarkPolicyThousand(b *testing.B) {
	nAlerts := envInt("BENCH_ALERTS", 1000)
	gap := envDuration("BENCH_STEP_GAP", 2*time.Second)
	for _, engine := range engines() {
		b.Run(engine, func(b *testing.B) {
			cn := fake.NewConnect(b, fake.WithKeepAlive())
			cn.SetMaxConcurrent(0)
			cn.SetDefault(fake.NoAnswer().Ring(5 * time.Second))
			sms := fake.NewSMS(b, fake.WithAWSKey(fake.ConnectAccessKeyID, fake.ConnectSecretAccessKey), fake.WithKeepAlive())
			hook := fake.NewWebhook(b, fake.WithKeepAlive())
			cfg, err := config.Parse([]byte(fmt.Sprintf(`database: %s
data_dir: %s
log_level: warn
destinations:
  - {name: ops, type: webhook, url: '%s'}
alerts:
  connect:
    instance_id: %s
    contact_flow_id: %s
    source_phone: "%s"
    region: %s
    rate_per_second: 10000
    max_concurrent_calls: 10000
    poll_interval: 2s
  systems:
    - name: XYZ
      routes: [{policy: three}]
oncall:
  sms:
    region: %s
  users:
    - name: texter
      contact_methods: [{kind: sms, address: "+819055550001"}]
    - name: caller
      contact_methods: [{kind: voice, address: "+819055550002"}]
  policies:
    - name: three
      rounds: 1
      steps:
        - {targets: ["chat:ops"], after: %s}
        - {targets: ["user:texter"], after: %s}
        - {targets: ["user:caller"], after: %s}
`, storetest.DatabaseURL(b, engine), b.TempDir(), hook.URL(), cn.InstanceID(), cn.ContactFlowID(), cn.SourcePhone(), cn.Region(),
				sms.Region(), gap, gap, gap)))
			if err != nil {
				b.Fatal(err)
			}
			env := map[string]string{
				"AWS_ENDPOINT_URL_CONNECT": cn.URL(), "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": sms.URL(),
				"AWS_ACCESS_KEY_ID": fake.ConnectAccessKeyID, "AWS_SECRET_ACCESS_KEY": fake.ConnectSecretAccessKey,
			}
			srv := apptest.StartWith(b, cfg, env, func(o *app.Options) {})
			ctx := context.Background()
			for _, u := range []string{"texter", "caller"} {
				if _, err := srv.App.Auth.AddUser(ctx, u, auth.RoleResponder, "a long enough password"); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := srv.App.Contacts.ApplyDeclared(ctx, cfg.OnCall.Users); err != nil {
				b.Fatal(err)
			}
			svc := srv.App.Alerts()
			var mu sync.Mutex
			late := map[string][]time.Duration{}
			svc.ObserveSteps(func(state string, d time.Duration) {
				mu.Lock()
				late[state] = append(late[state], d)
				mu.Unlock()
			})
			tok, err := srv.App.Auth.CreateToken(ctx, "bench", auth.ScopeIngestAlerts)
			if err != nil {
				b.Fatal(err)
			}
			var body bytes.Buffer
			body.WriteString(`[`)
			for i := range nAlerts {
				if i > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"system":"XYZ","dedup_key":"storm-%d","summary":"host %d down","host":"h%d","severity":"critical"}`, i, i, i)
			}
			body.WriteString(`]`)
			load0 := loadavg()
			cpu0 := cpuSeconds(os.Getpid())
			begin := time.Now()
			s := &server{url: srv.URL, token: tok}
			acceptedAt, err := post(&http.Client{Timeout: time.Minute}, s, body.Bytes())
			if err != nil {
				b.Fatal(err)
			}
			hook.WaitForUnique(b, nAlerts, 2*time.Minute)
			sms.WaitForMessages(b, nAlerts, 2*time.Minute)
			if !waitCalls(cn, nAlerts, time.Minute) {
				rows, _ := srv.App.St.R.Query(`SELECT kind, status, outcome, left(error, 120), count(*) FROM alert_pages GROUP BY 1, 2, 3, 4`)
				for rows != nil && rows.Next() {
					var k, st, o, e string
					var n int
					_ = rows.Scan(&k, &st, &o, &e, &n)
					b.Logf("pages %s %s %s %q: %d", k, st, o, e, n)
				}
				b.Fatalf("%d calls placed, want %d", len(cn.Calls()), nAlerts)
			}
			deadline := time.Now().Add(5 * time.Minute)
			for {
				var left int
				_ = srv.App.St.R.QueryRow(`SELECT (SELECT count(*) FROM alerts WHERE status = 'open') + (SELECT count(*) FROM alert_pages WHERE status IN ('pending', 'sending', 'ringing'))`).Scan(&left)
				if left == 0 {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d alerts or pages still open", left)
				}
				time.Sleep(200 * time.Millisecond)
			}
			total := time.Since(begin)
			cpu := cpuSeconds(os.Getpid()) - cpu0
			svc.ObserveSteps(nil)

			// First notification: each alert's chat post, from the 202.
			var first []time.Duration
			for _, r := range hook.Requests() {
				var p struct {
					Message struct {
						Ref string `json:"ref"`
					} `json:"message"`
				}
				if json.Unmarshal(r.Body, &p) == nil && p.Message.Ref != "" {
					first = append(first, max(r.At.Sub(acceptedAt), 0))
				}
			}
			sort.Slice(first, func(i, j int) bool { return first[i] < first[j] })
			mu.Lock()
			var steps []time.Duration
			report := ""
			for _, st := range []string{"page", "page-channel", "page-sms", "page-voice"} {
				l := late[st]
				sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
				if st == "page" {
					steps = l
				}
				if len(l) > 0 {
					report += fmt.Sprintf(" %s: %d, p50 %.0f ms, p99 %.0f ms, max %.0f ms;", st, len(l), ms(percentile(l, 0.5)), ms(percentile(l, 0.99)), ms(l[len(l)-1]))
				}
			}
			mu.Unlock()
			over := 0
			for _, d := range steps {
				if d > time.Second {
					over++
				}
			}
			var stepMax time.Duration
			if len(steps) > 0 {
				stepMax = steps[len(steps)-1]
			}
			b.ReportMetric(float64(len(steps)), "steps")
			b.ReportMetric(ms(percentile(steps, 0.99)), "step-late-p99-ms")
			b.ReportMetric(ms(stepMax), "step-late-max-ms")
			b.ReportMetric(float64(over), "steps-late-over-1s")
			b.ReportMetric(ms(percentile(first, 0.5)), "first-p50-ms")
			b.ReportMetric(ms(percentile(first, 0.99)), "first-p99-ms")
			b.ReportMetric(ms(first[len(first)-1]), "first-max-ms")
			b.Logf("%d at once %s (steps %s apart): accepted in %.0f ms; first notifications p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d chat posts, %d SMS, %d calls; all done after %.1f s;%s process %.2f cores; load %s → %s",
				nAlerts, engine, gap, ms(acceptedAt.Sub(begin)), ms(percentile(first, 0.5)), ms(percentile(first, 0.99)), ms(first[len(first)-1]),
				hook.RequestCount(), len(sms.Messages()), len(cn.Calls()), total.Seconds(), report, cpu/total.Seconds(), load0, loadavg())
		})
	}
}

func waitCalls(cn *fake.Connect, n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for len(cn.Calls()) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
