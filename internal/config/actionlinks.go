package config

import (
	"fmt"
	"time"
)

// AlertsActionLinks configures the one-tap links SMS and email alert
// messages carry (internal/actionlink):
//
//	alerts:
//	  action_links:
//	    ttl: 24h        # how long a link works (1m to 720h)
type AlertsActionLinks struct {
	// TTL is how long a link works (default 24h).
	TTL Duration `yaml:"ttl"`
}

// Action link limits.
const (
	DefaultActionLinkTTL = 24 * time.Hour
	MinActionLinkTTL     = time.Minute
	MaxActionLinkTTL     = 30 * 24 * time.Hour
)

// TTLOrDefault is TTL, or DefaultActionLinkTTL when not set.
func (x AlertsActionLinks) TTLOrDefault() time.Duration {
	if x.TTL <= 0 {
		return DefaultActionLinkTTL
	}
	return x.TTL.D()
}

func (x AlertsActionLinks) validate() error {
	if x.TTL != 0 && (x.TTL.D() < MinActionLinkTTL || x.TTL.D() > MaxActionLinkTTL) {
		return &Error{"alerts.action_links.ttl", fmt.Sprintf("%s is not between %s and %s", x.TTL.D(), MinActionLinkTTL, MaxActionLinkTTL)}
	}
	return nil
}
