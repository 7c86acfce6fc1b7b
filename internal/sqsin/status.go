package sqsin

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status is what this process knows of its queues, for the console: when
// a receive last worked and the last error while it fails.
type Status struct {
	mu     sync.Mutex
	queues map[string]*QueueStatus
}

// QueueStatus is one queue's state in this process.
type QueueStatus struct {
	Queue     string
	LastOK    time.Time
	Failing   bool
	LastError string
	FailedAt  time.Time
	Failures  int
}

// NewStatus returns an empty status.
func NewStatus() *Status { return &Status{queues: map[string]*QueueStatus{}} }

func (s *Status) get(q string) *QueueStatus {
	x := s.queues[q]
	if x == nil {
		x = &QueueStatus{Queue: q}
		s.queues[q] = x
	}
	return x
}

func (s *Status) ok(q string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.get(q)
	x.LastOK, x.Failing, x.Failures = now, false, 0
}

func (s *Status) failed(q string, err error, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.get(q)
	x.Failing, x.LastError, x.FailedAt = true, err.Error(), now
	x.Failures++
}

// Queues returns the state of every queue seen, by name.
func (s *Status) Queues() []QueueStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]QueueStatus, 0, len(s.queues))
	for _, x := range s.queues {
		out = append(out, *x)
	}
	slices.SortFunc(out, func(a, b QueueStatus) int {
		if a.Queue < b.Queue {
			return -1
		}
		if a.Queue > b.Queue {
			return 1
		}
		return 0
	})
	return out
}

// Metrics are the consumer's Prometheus instruments (per process):
// opsdesk_sqs_messages_total{queue, outcome} with outcome received,
// committed, duplicate, dead_lettered or deleted, and
// opsdesk_sqs_queue_up{queue}. A nil *Metrics counts nothing.
type Metrics struct {
	messages *prometheus.CounterVec
	upGauge  *prometheus.GaugeVec
}

// NewMetrics registers the instruments with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsdesk_sqs_messages_total", Help: "SQS messages by queue and outcome (received, committed, duplicate, dead_lettered, deleted), in this process.",
		}, []string{"queue", "outcome"}),
		upGauge: upGauge(),
	}
	reg.MustRegister(m.messages, m.upGauge)
	return m
}

func upGauge() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "opsdesk_sqs_queue_up", Help: "1 when the last receive from the SQS queue worked, 0 while it fails.",
	}, []string{"queue"})
}

func (m *Metrics) count(queue, outcome string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.messages.WithLabelValues(queue, outcome).Add(float64(n))
}

func (m *Metrics) up(queue string, ok bool) {
	if m == nil {
		return
	}
	v := 0.0
	if ok {
		v = 1
	}
	m.upGauge.WithLabelValues(queue).Set(v)
}
