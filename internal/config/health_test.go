package config

import (
	"errors"
	"slices"
	"testing"
)

// TestHealthNotifyConfig: events.health parses, and each mistake names
// its key.
func TestHealthNotifyConfig(t *testing.T) {
	t.Parallel()
	base := "destinations:\n  - {name: ops, type: slack, url: 'https://hooks.slack.com/services/T/B/x'}\n"
	c, err := Parse([]byte(base + `events:
  health:
    - destination: ops
      services: [EC2, RDS]
      regions: [ap-northeast-1, global]
      categories: [issue, scheduledChange]
      statuses: [open, closed]
      language: ja
    - destination: ops
`))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Events.Health; len(h) != 2 || h[0].Destination != "ops" || !slices.Equal(h[0].Services, []string{"EC2", "RDS"}) ||
		!slices.Equal(h[0].Regions, []string{"ap-northeast-1", "global"}) || !slices.Equal(h[0].Categories, []string{"issue", "scheduledChange"}) ||
		!slices.Equal(h[0].Statuses, []string{"open", "closed"}) || h[0].Language != "ja" || len(h[1].Services) != 0 || h[1].Language != "" {
		t.Errorf("health %+v", c.Events.Health)
	}
	for yaml, key := range map[string]string{
		"events:\n  health:\n    - {services: [EC2]}\n":                          "events.health[0].destination",
		"events:\n  health:\n    - {destination: ops}\n    - {destination: x}\n": "events.health[1].destination",
		"events:\n  health:\n    - {destination: ops, services: ['EC 2']}\n":     "events.health[0].services[0]",
		"events:\n  health:\n    - {destination: ops, regions: [tokyo]}\n":       "events.health[0].regions[0]",
		"events:\n  health:\n    - {destination: ops, categories: [issues]}\n":   "events.health[0].categories[0]",
		"events:\n  health:\n    - {destination: ops, statuses: [open, done]}\n": "events.health[0].statuses[1]",
		"events:\n  health:\n    - {destination: ops, language: fr}\n":           "events.health[0].language",
	} {
		_, err := Parse([]byte(base + yaml))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%q: %v, want key %s", yaml, err, key)
		}
	}
}
