package config

import "fmt"

// Jobs configures the background work of one process: how many workers
// each kind of work has. Each kind has its own queue and workers, so that
// no kind can take another's (a hanging webhook never delays a case sync,
// and nothing delays a phone call). These are per replica: N replicas
// have N times the workers.
type Jobs struct {
	Workers JobWorkers `yaml:"workers"`
}

// JobWorkers are the worker counts by kind of work. Question deliveries
// are configured under deliveries (workers, per_destination).
type JobWorkers struct {
	// Escalation is how many escalation steps (calls placed, calls
	// polled) run at once. The escalation engine has these to itself.
	Escalation int `yaml:"escalation"`
	// Alerts sends alert notifications to destinations.
	Alerts int `yaml:"alerts"`
	// Events runs the actions of matched event rules.
	Events int `yaml:"events"`
	// Chat runs chat commands and sends chat replies.
	Chat int `yaml:"chat"`
	// Cases syncs Support cases.
	Cases int `yaml:"cases"`
	// Maintenance runs the periodic sweeps.
	Maintenance int `yaml:"maintenance"`
}

// Job worker defaults.
const (
	DefaultEscalationWorkers  = 32
	DefaultAlertsWorkers      = 4
	DefaultEventsWorkers      = 8
	DefaultChatWorkers        = 4
	DefaultCasesWorkers       = 2
	DefaultMaintenanceWorkers = 2
)

func (j *Jobs) setDefaults() {
	w := &j.Workers
	w.Escalation = DefaultEscalationWorkers
	w.Alerts = DefaultAlertsWorkers
	w.Events = DefaultEventsWorkers
	w.Chat = DefaultChatWorkers
	w.Cases = DefaultCasesWorkers
	w.Maintenance = DefaultMaintenanceWorkers
}

func (j *Jobs) validate() error {
	for _, f := range []struct {
		key string
		n   int
	}{
		{"escalation", j.Workers.Escalation}, {"alerts", j.Workers.Alerts}, {"events", j.Workers.Events},
		{"chat", j.Workers.Chat}, {"cases", j.Workers.Cases}, {"maintenance", j.Workers.Maintenance},
	} {
		if f.n < 1 || f.n > 1000 {
			return &Error{"jobs.workers." + f.key, fmt.Sprintf("must be between 1 and 1000 (got %d)", f.n)}
		}
	}
	return nil
}

// PerDestination is the number of requests one destination may have in
// flight from this process: deliveries.per_destination, or a quarter of
// deliveries.workers (at least 1) when not set.
func (d *Deliveries) PerDestination() int {
	if d.PerDest > 0 {
		return min(d.PerDest, d.Workers)
	}
	return max(1, d.Workers/4)
}
