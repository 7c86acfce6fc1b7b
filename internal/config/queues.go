package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AWSQueue is one Amazon SQS queue opsdesk long-polls for AWS events and
// alarms (aws.queues): the outbound-only alternative to /api/v1/events
// and /api/v1/alerts/cloudwatch for a desk that has no inbound port.
type AWSQueue struct {
	// Name identifies the queue in opsdesk (metrics, dead letters, logs).
	Name string `yaml:"name"`
	// Account names the aws.accounts entry whose credentials receive
	// from the queue; empty uses the default credential chain.
	Account string `yaml:"account"`
	// Region is the queue's region; empty takes it from the URL.
	Region string `yaml:"region"`
	// URL is the queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
	URL string `yaml:"url"`
	// Kind says what the queue carries: auto (recognise each message),
	// events (everything goes through the event rules) or alarms (SNS
	// notifications of CloudWatch alarms only).
	Kind string `yaml:"kind"`
	// System names the alert system of alarms and alert actions whose
	// message or rule names none (like ?system= on the HTTP endpoints).
	System string `yaml:"system"`
	// Wait is the long-poll wait of one ReceiveMessage (0 to 20s).
	Wait Duration `yaml:"wait"`
	// Visibility is the visibility timeout set on received messages,
	// extended while a message is being processed.
	Visibility Duration `yaml:"visibility"`
	// MaxReceives is how often a message may be received before it
	// becomes a dead letter in opsdesk.
	MaxReceives int `yaml:"max_receives"`
	// OnDeadLetter is delete (opsdesk keeps the only copy) or leave (the
	// queue's own redrive policy moves it to its dead-letter queue).
	OnDeadLetter string `yaml:"on_dead_letter"`
	// Concurrency is the number of long-poll loops on the queue in this
	// process.
	Concurrency int `yaml:"concurrency"`
}

// Queue kinds and dead-letter dispositions.
const (
	QueueKindAuto      = "auto"
	QueueKindEvents    = "events"
	QueueKindAlarms    = "alarms"
	DeadLetterDelete   = "delete"
	DeadLetterLeave    = "leave"
	DefaultQueueWait   = 20 * time.Second
	DefaultQueueVis    = 60 * time.Second
	DefaultMaxReceives = 5
)

func (q *AWSQueue) setDefaults() {
	if q.Kind == "" {
		q.Kind = QueueKindAuto
	}
	if q.Wait == 0 {
		q.Wait = Duration(DefaultQueueWait)
	}
	if q.Visibility == 0 {
		q.Visibility = Duration(DefaultQueueVis)
	}
	if q.MaxReceives == 0 {
		q.MaxReceives = DefaultMaxReceives
	}
	if q.OnDeadLetter == "" {
		q.OnDeadLetter = DeadLetterDelete
	}
	if q.Concurrency == 0 {
		q.Concurrency = 1
	}
}

// QueueRegion returns the region of an SQS queue URL
// (https://sqs.us-east-1.amazonaws.com/… or the legacy
// https://us-east-1.queue.amazonaws.com/…), "" when it names none.
func QueueRegion(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	parts := strings.Split(p.Hostname(), ".")
	if len(parts) >= 4 && parts[0] == "sqs" {
		return parts[1]
	}
	if len(parts) >= 4 && parts[1] == "queue" {
		return parts[0]
	}
	return ""
}

// validateQueues fills in the defaults of aws.queues and checks them.
func (c *Config) validateQueues() error {
	seen := map[string]bool{}
	for i := range c.AWS.Queues {
		q := &c.AWS.Queues[i]
		q.setDefaults()
		key := fmt.Sprintf("aws.queues[%d]", i)
		if err := ValidateName(q.Name); err != nil {
			return &Error{key + ".name", err.Error()}
		}
		if seen[q.Name] {
			return &Error{key + ".name", fmt.Sprintf("%q is used by two queues", q.Name)}
		}
		seen[q.Name] = true
		if q.Account != "" && !slices.ContainsFunc(c.AWS.Accounts, func(a AWSAccount) bool { return a.Name == q.Account }) {
			return &Error{key + ".account", fmt.Sprintf("no aws.accounts entry is named %q", q.Account)}
		}
		if q.URL == "" {
			return &Error{key + ".url", "is required (the queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"}
		}
		u, err := url.Parse(q.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return &Error{key + ".url", fmt.Sprintf("%q is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)", q.URL)}
		}
		if q.Region == "" {
			q.Region = QueueRegion(q.URL)
		}
		if q.Region == "" {
			return &Error{key + ".region", "is required: the queue URL names no region"}
		}
		if !validRegion(q.Region) {
			return &Error{key + ".region", fmt.Sprintf("%q is not an AWS region name (like us-east-1)", q.Region)}
		}
		switch q.Kind {
		case QueueKindAuto, QueueKindEvents, QueueKindAlarms:
		default:
			return &Error{key + ".kind", fmt.Sprintf("%q must be auto, events or alarms", q.Kind)}
		}
		if q.System != "" {
			if err := ValidateName(q.System); err != nil {
				return &Error{key + ".system", err.Error()}
			}
		}
		if w := q.Wait.D(); w < 0 || w > 20*time.Second || w%time.Second != 0 {
			return &Error{key + ".wait", "must be whole seconds from 0s to 20s (the SQS long-poll limit)"}
		}
		if v := q.Visibility.D(); v < 10*time.Second || v > 12*time.Hour || v%time.Second != 0 {
			return &Error{key + ".visibility", "must be whole seconds from 10s to 12h"}
		}
		if q.MaxReceives < 1 || q.MaxReceives > 1000 {
			return &Error{key + ".max_receives", "must be between 1 and 1000"}
		}
		switch q.OnDeadLetter {
		case DeadLetterDelete, DeadLetterLeave:
		default:
			return &Error{key + ".on_dead_letter", fmt.Sprintf("%q must be delete or leave", q.OnDeadLetter)}
		}
		if q.Concurrency < 1 || q.Concurrency > 32 {
			return &Error{key + ".concurrency", "must be between 1 and 32"}
		}
	}
	return nil
}

// validRegion: lower-case letters, digits and dashes, starting with a
// letter (us-east-1, cn-north-1, us-gov-west-1).
func validRegion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return strings.Contains(s, "-")
}
