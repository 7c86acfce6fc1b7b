package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/jobs"
	"github.com/opsdesk/opsdesk/internal/sqsin"
	"github.com/opsdesk/opsdesk/internal/web"
)

// queuesModule is the SQS consumer (aws.queues): one long-poll consumer
// per queue, run by serve, committing through the events and alerts
// services (built before it). Without queues it still serves the console
// page and API, which then list no queue.
func (a *App) queuesModule(ctx context.Context) (module, error) {
	m := &queuesModule{a: a, store: sqsin.NewStore(a.St), status: sqsin.NewStatus()}
	if len(a.Cfg.AWS.Queues) == 0 {
		return m, nil
	}
	metrics := sqsin.NewMetrics(a.Metrics.Reg)
	sink := &queueSink{a: a}
	for i, q := range a.Cfg.AWS.Queues {
		client, err := a.sqsClient(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("aws.queues[%d]: %w", i, err)
		}
		m.consumers = append(m.consumers, sqsin.New(sqsin.Options{
			Queue: q, Client: client, Store: m.store, Sink: sink, Consumer: a.Fleet.ID(),
			Metrics: metrics, Status: m.status, Now: a.now, Log: a.Log.With("component", "sqs"),
		}))
	}
	return m, nil
}

// sqsClient builds the SQS client of a queue: the credentials of its
// aws.accounts entry (profile or assumed role), or static keys from the
// environment, or the SDK's default chain; the endpoint from
// AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL when set (read through the
// App's lookup, like every other setting).
func (a *App) sqsClient(ctx context.Context, q config.AWSQueue) (*sqs.Client, error) {
	env := func(k string) string {
		v, _ := a.lookup(k)
		return v
	}
	var acct config.AWSAccount
	for _, x := range a.Cfg.AWS.Accounts {
		if x.Name == q.Account {
			acct = x
		}
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(q.Region)}
	if acct.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(acct.Profile))
	} else if id, secret := env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, env("AWS_SESSION_TOKEN"))))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if acct.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg)
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, acct.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if acct.ExternalID != "" {
				o.ExternalID = aws.String(acct.ExternalID)
			}
			o.RoleSessionName = "opsdesk-sqs-" + acct.Name
		}))
	}
	endpoint := env("AWS_ENDPOINT_URL_SQS")
	if endpoint == "" {
		endpoint = env("AWS_ENDPOINT_URL")
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

type queuesModule struct {
	a         *App
	store     *sqsin.Store
	status    *sqsin.Status
	consumers []*sqsin.Consumer
}

func (m *queuesModule) workers(context.Context, *river.Workers) ([]*river.PeriodicJob, error) {
	return nil, nil
}

func (m *queuesModule) queueReady(jobs.Queue) {}

// run polls every queue until shutdown. It starts with the job queue, so
// the actions of committed events are queued at once.
func (m *queuesModule) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range m.consumers {
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(ctx) }()
	}
	wg.Wait()
}

func (m *queuesModule) webDeps(d *web.Deps) {
	d.Queues = &web.QueueInfo{Store: m.store, Status: m.status, Configured: m.a.Cfg.AWS.Queues}
}

// routes: GET /api/v1/queues (scope admin) answers each queue's state in
// this process and the newest dead letters.
func (m *queuesModule) routes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/queues", m.a.requireScope(auth.ScopeAdmin)(http.HandlerFunc(m.api)))
}

func (m *queuesModule) api(w http.ResponseWriter, r *http.Request) {
	dead, err := m.store.DeadLetters(r.Context(), r.URL.Query().Get("queue"), 100)
	if err != nil {
		httpx.Error(w, http.StatusServiceUnavailable, "reading dead letters failed; retry", "")
		return
	}
	counts, err := m.store.Counts(r.Context())
	if err != nil {
		httpx.Error(w, http.StatusServiceUnavailable, "reading counts failed; retry", "")
		return
	}
	type queueJSON struct {
		Name      string         `json:"name"`
		URL       string         `json:"url"`
		Kind      string         `json:"kind"`
		Counts    map[string]int `json:"counts"`
		Failing   bool           `json:"failing"`
		LastError string         `json:"last_error,omitempty"`
	}
	type deadJSON struct {
		ID          int64  `json:"id"`
		Queue       string `json:"queue"`
		MessageID   string `json:"message_id"`
		Error       string `json:"error"`
		Receives    int    `json:"receives"`
		Disposition string `json:"disposition"`
		Body        string `json:"body"`
		At          string `json:"at"`
	}
	st := map[string]sqsin.QueueStatus{}
	for _, s := range m.status.Queues() {
		st[s.Queue] = s
	}
	out := struct {
		Queues      []queueJSON `json:"queues"`
		DeadLetters []deadJSON  `json:"dead_letters"`
	}{Queues: []queueJSON{}, DeadLetters: []deadJSON{}}
	for _, q := range m.a.Cfg.AWS.Queues {
		c := counts[q.Name]
		if c == nil {
			c = map[string]int{}
		}
		out.Queues = append(out.Queues, queueJSON{Name: q.Name, URL: q.URL, Kind: q.Kind, Counts: c, Failing: st[q.Name].Failing, LastError: st[q.Name].LastError})
	}
	for _, d := range dead {
		out.DeadLetters = append(out.DeadLetters, deadJSON{ID: d.ID, Queue: d.Queue, MessageID: d.MessageID, Error: d.Error, Receives: d.Receives,
			Disposition: d.Disposition, Body: d.Body, At: d.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00")})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// queueSink commits SQS messages through the services behind
// POST /api/v1/events and /api/v1/alerts/cloudwatch.
type queueSink struct{ a *App }

// Events runs the events' rules and stores them, like POST /api/v1/events;
// the events store absorbs an event it holds already (source and id).
func (s *queueSink) Events(ctx context.Context, b *payload.Batch, via, system string) (string, error) {
	if s.a.Events == nil {
		return "", fmt.Errorf("events are not running")
	}
	res, err := s.a.Events.IngestFor(ctx, b, "sqs", system)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d events stored, %d duplicates", res.Accepted, res.Duplicates), nil
}

// Alarm takes a CloudWatch alarm in, like /api/v1/alerts/cloudwatch: the
// queue's system (or alerts.default_system) names whose alarm it is when
// the alarm does not.
func (s *queueSink) Alarm(ctx context.Context, alarm []byte, topic, via, system string) (string, error) {
	svc := s.a.Alerts()
	if svc == nil {
		return "", fmt.Errorf("alerts are not running")
	}
	o := parse.Options{DefaultSystem: s.a.Cfg.Alerts.DefaultSystem, Location: s.a.Cfg.Alerts.Location()}
	if system != "" {
		o.DefaultSystem = system
	}
	var ignored []string
	o.OnIgnore = func(reason string) { ignored = append(ignored, reason) }
	sigs, err := parse.CloudWatch(alarm, o)
	if err != nil {
		return "", sqsin.Permanent(fmt.Errorf("CloudWatch alarm: %w", err))
	}
	if topic != "" {
		via += " (" + topic + ")"
	}
	res, err := svc.Ingest(ctx, sigs, via)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, r := range res {
		switch {
		case r.AlertID != 0:
			parts = append(parts, fmt.Sprintf("alert %d %s", r.AlertID, r.Action))
		default:
			parts = append(parts, r.Action)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "ignored: "+strings.Join(ignored, "; "))
	}
	return strings.Join(parts, ", "), nil
}
