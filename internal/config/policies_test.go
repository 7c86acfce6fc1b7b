package config

import (
	"testing"
	"time"
)

// TestPolicyStepAfter: a step's wait left out is 5m; an explicit 0s is the
// next step at once, not the default.
func TestPolicyStepAfter(t *testing.T) {
	c, err := Parse([]byte(`oncall:
  policies:
    - name: p
      steps:
        - {targets: ["user:a"], after: 0s}
        - {targets: ["user:b"]}
        - {targets: ["user:c"], after: 90s}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.OnCall.Policies[0].WithDefaults()
	for i, want := range []time.Duration{0, DefaultStepAfter, 90 * time.Second} {
		if got := p.Steps[i].After.D(); got != want {
			t.Errorf("steps[%d].after = %s, want %s", i, got, want)
		}
	}
	if p.Rounds != DefaultPolicyRounds {
		t.Errorf("rounds %d", p.Rounds)
	}
	_, err = Parse([]byte(`oncall:
  policies:
    - name: p
      steps:
        - {targets: ["user:a"], after: 25h}
`))
	if ce, ok := err.(*Error); !ok || ce.Key != "oncall.policies[0].steps[0].after" {
		t.Errorf("a wait of 25h: %v", err)
	}
}

func TestShiftNoticeConfig(t *testing.T) {
	c, err := Parse([]byte("oncall:\n  shift_notice: 15m\n"))
	if err != nil || c.OnCall.ShiftNotice.D() != 15*time.Minute {
		t.Fatalf("%v %v", c, err)
	}
	_, err = Parse([]byte("oncall:\n  shift_notice: 30s\n"))
	if ce, ok := err.(*Error); !ok || ce.Key != "oncall.shift_notice" {
		t.Errorf("30s: %v", err)
	}
}
