package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestActionLinksConfig(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(alertsBase))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Alerts.ActionLinks.TTLOrDefault(); got != 24*time.Hour {
		t.Errorf("default ttl %s", got)
	}
	c, err = Parse([]byte(alertsBase + "alerts:\n  action_links: {ttl: 2h}"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Alerts.ActionLinks.TTLOrDefault(); got != 2*time.Hour {
		t.Errorf("ttl %s", got)
	}
	for _, v := range []string{"30s", "721h", "-1h"} {
		_, err := Parse([]byte(alertsBase + "alerts:\n  action_links: {ttl: " + v + "}"))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != "alerts.action_links.ttl" || !strings.Contains(ce.Msg, "between 1m0s and 720h0m0s") {
			t.Errorf("ttl %s: %v", v, err)
		}
	}
}
