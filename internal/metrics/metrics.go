// Package metrics exposes opsdesk's Prometheus metrics. Counters that only
// this process knows (HTTP requests, delivery attempts) are kept here; totals
// that every replica shares (jobs and deliveries by state) are read from the
// database at scrape time, so any replica reports the same truth.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and the process-local instruments.
type Metrics struct {
	Reg              *prometheus.Registry
	httpRequests     *prometheus.CounterVec
	httpDuration     *prometheus.HistogramVec
	deliveryAttempts *prometheus.CounterVec
	deliveryDuration *prometheus.HistogramVec
	stepLateness     *prometheus.HistogramVec
	stepLatenessMax  *prometheus.GaugeVec

	mu      sync.Mutex
	lateMax map[string]time.Duration
}

// Source reads shared counts at scrape time.
type Source interface {
	// JobCounts returns jobs by (kind, state).
	JobCounts(ctx context.Context) (map[[2]string]int64, error)
	// DeliveryCounts returns deliveries by (destination, status).
	DeliveryCounts(ctx context.Context) (map[[2]string]int64, error)
}

// New builds the registry. src may be nil (no database-backed gauges).
func New(src Source, log *slog.Logger) *Metrics {
	m := &Metrics{Reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "opsdesk_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "opsdesk_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route"})
	m.deliveryAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "opsdesk_delivery_attempts_total", Help: "Delivery attempts by destination and outcome (delivered, retry, failed, interrupted).",
	}, []string{"destination", "outcome"})
	m.deliveryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "opsdesk_delivery_attempt_duration_seconds", Help: "Time of one call to a destination.",
		Buckets: prometheus.DefBuckets,
	}, []string{"destination"})
	m.stepLateness = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "opsdesk_escalation_step_lateness_seconds", Help: "How late escalation steps ran against their due time, by step (call, place, poll), in this process.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, .75, 1, 1.5, 2, 3, 5, 10, 30},
	}, []string{"step"})
	m.stepLatenessMax = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "opsdesk_escalation_step_lateness_max_seconds", Help: "The latest an escalation step has run against its due time since this process started, by step.",
	}, []string{"step"})
	m.lateMax = map[string]time.Duration{}
	m.Reg.MustRegister(m.httpRequests, m.httpDuration, m.deliveryAttempts, m.deliveryDuration, m.stepLateness, m.stepLatenessMax,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src != nil {
		m.Reg.MustRegister(&dbCollector{src: src, log: log})
	}
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Reg, promhttp.HandlerOpts{})
}

// ObserveHTTP records one request.
func (m *Metrics) ObserveHTTP(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
}

// ObserveDelivery records one delivery attempt.
func (m *Metrics) ObserveDelivery(destination, outcome string, took time.Duration) {
	m.deliveryAttempts.WithLabelValues(destination, outcome).Inc()
	m.deliveryDuration.WithLabelValues(destination).Observe(took.Seconds())
}

// ObserveEscalationStep records how late an escalation step ran.
func (m *Metrics) ObserveEscalationStep(state string, late time.Duration) {
	late = max(late, 0)
	m.stepLateness.WithLabelValues(state).Observe(late.Seconds())
	m.mu.Lock()
	if late > m.lateMax[state] {
		m.lateMax[state] = late
		m.stepLatenessMax.WithLabelValues(state).Set(late.Seconds())
	}
	m.mu.Unlock()
}

var (
	jobsDesc = prometheus.NewDesc("opsdesk_jobs", "Jobs in the queue by kind and state.", []string{"kind", "state"}, nil)
	delDesc  = prometheus.NewDesc("opsdesk_deliveries", "Deliveries by destination and status.", []string{"destination", "status"}, nil)
	upDesc   = prometheus.NewDesc("opsdesk_database_up", "1 when the database answered the last scrape.", nil, nil)
)

type dbCollector struct {
	src Source
	log *slog.Logger
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- delDesc
	ch <- upDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	up := 1.0
	if js, err := c.src.JobCounts(ctx); err != nil {
		up = 0
		c.log.Warn("metrics: job counts", "error", err)
	} else {
		for k, n := range js {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
	if ds, err := c.src.DeliveryCounts(ctx); err != nil {
		up = 0
		c.log.Warn("metrics: delivery counts", "error", err)
	} else {
		for k, n := range ds {
			ch <- prometheus.MustNewConstMetric(delDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up)
}
