package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const alertsBase = `
destinations:
  - {name: ops-chat, type: slack, url: https://hooks.slack.com/services/T0/B0/x}
`

func TestAlertsConfig(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(alertsBase + `
alerts:
  default_system: XYZ
  timezone: Asia/Tokyo
  sns_topics: [arn:aws:sns:ap-northeast-1:123456789012:alarms]
  connect:
    instance_id: 4a1f6c2e-8d3b-4e59-9c71-0b2d5e8f7a16
    contact_flow_id: 9c7e2b41-5f0a-4d8e-b3c6-1e4f7a9d2c58
    source_phone: "+815012345678"
    region: ap-northeast-1
    role_arn: arn:aws:iam::123456789012:role/opsdesk-connect
    poll_interval: 10s
    per_number_max_calls_per_hour: 0
  systems:
    - name: XYZ
      contacts:
        - {name: Sato, phone: "+819012345678", language: ja}
        - {name: Suzuki, phone: "+819023456789", hours: "Mon-Fri 08:00-22:00"}
      wait_between_calls: 30s
      notify: [ops-chat]
    - name: 請求システム
      contacts: [{name: Kim, phone: "+821012345678", language: ko-KR}]
      rounds: 2
      quiet_period: 1h
`))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Alerts
	if a.Location().String() != "Asia/Tokyo" || a.DefaultSystem != "XYZ" || a.MaxBodyBytes != 1<<20 {
		t.Errorf("alerts %+v", a)
	}
	c := a.Connect.WithDefaults()
	if c.KeyAttribute != "pressed_key" || c.RatePerSecond != 2 || c.MaxConcurrentCalls != 10 || c.PollInterval.D() != 10*time.Second ||
		c.MaxCallDuration.D() != 5*time.Minute || *c.PerNumberMaxCallsPerHour != 0 {
		t.Errorf("connect defaults %+v", c)
	}
	if d := (AlertsConnect{}).WithDefaults(); *d.PerNumberMaxCallsPerHour != 10 || d.PollInterval.D() != 30*time.Second {
		t.Errorf("empty connect defaults %+v", d)
	}
	x, ok := a.System("XYZ")
	if !ok {
		t.Fatal("no XYZ")
	}
	x = x.WithDefaults()
	if x.Rounds != 3 || x.QuietPeriod.D() != 12*time.Hour || x.WaitBetweenCalls.D() != 30*time.Second || len(x.Contacts) != 2 {
		t.Errorf("XYZ %+v", x)
	}
	if l, ok := NormalizeLanguage("JA"); !ok || l != "ja-JP" {
		t.Errorf("ja → %q", l)
	}
	if cfg, err := Parse([]byte("alerts: {}")); err != nil || cfg.Alerts.Connect != nil || cfg.Alerts.Location() != time.UTC {
		t.Errorf("empty alerts: %v", err)
	}
}

// TestRingTimeoutRange: ring_timeout takes what Connect's
// RingTimeoutInSeconds takes, 15 to 60 whole seconds, or nothing.
func TestRingTimeoutRange(t *testing.T) {
	t.Parallel()
	connect := "alerts:\n  connect: {instance_id: i-1, contact_flow_id: f-1, source_phone: '+815012345678', ring_timeout: %s}"
	for in, want := range map[string]time.Duration{"0s": 0, "15s": 15 * time.Second, "30s": 30 * time.Second, "1m": time.Minute} {
		cfg, err := Parse([]byte(alertsBase + fmt.Sprintf(connect, in)))
		if err != nil {
			t.Errorf("ring_timeout %s: %v", in, err)
			continue
		}
		if got := cfg.Alerts.Connect.RingTimeout.D(); got != want {
			t.Errorf("ring_timeout %s = %v", in, got)
		}
	}
	for _, in := range []string{"14s", "1m1s", "90s", "10m", "-15s", "15500ms"} {
		_, err := Parse([]byte(alertsBase + fmt.Sprintf(connect, in)))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != "alerts.connect.ring_timeout" || !strings.Contains(ce.Msg, "whole seconds from 15s to 60s") {
			t.Errorf("ring_timeout %s: %v", in, err)
		}
	}
}

// TestAlertsConfigErrors: every mistake is reported under its key.
func TestAlertsConfigErrors(t *testing.T) {
	t.Parallel()
	connect := `
  connect:
    instance_id: i-1
    contact_flow_id: f-1
    source_phone: "+815012345678"
`
	cases := []struct{ yaml, key, msg string }{
		{"alerts: {timezone: Mars/Olympus}", "alerts.timezone", "IANA"},
		{"alerts: {max_body_bytes: 10}", "alerts.max_body_bytes", "between"},
		{"alerts: {default_system: ' x'}", "alerts.default_system", "spaces"},
		{"alerts: {sns_topics: [nope]}", "alerts.sns_topics[0]", "SNS topic"},
		{"alerts:\n  connect: {contact_flow_id: f, source_phone: '+815012345678'}", "alerts.connect.instance_id", "required"},
		{"alerts:\n  connect: {instance_id: i, source_phone: '+815012345678'}", "alerts.connect.contact_flow_id", "required"},
		{"alerts:\n  connect: {instance_id: i, contact_flow_id: f}", "alerts.connect.source_phone", "required"},
		{"alerts:\n  connect: {instance_id: i, contact_flow_id: f, source_phone: '0312345678'}", "alerts.connect.source_phone", "E.164"},
		{"alerts:" + connect + "    poll_interval: 100ms", "alerts.connect.poll_interval", "1s and 5m"},
		{"alerts:" + connect + "    rate_per_second: -1", "alerts.connect.rate_per_second", "between"},
		{"alerts:" + connect + "    max_concurrent_calls: 20000", "alerts.connect.max_concurrent_calls", "between"},
		{"alerts:" + connect + "    ring_timeout: 1500ms", "alerts.connect.ring_timeout", "whole seconds"},
		{"alerts:" + connect + "    ring_timeout: 20500ms", "alerts.connect.ring_timeout", "whole seconds from 15s to 60s"},
		{"alerts:" + connect + "    ring_timeout: 14s", "alerts.connect.ring_timeout", "from 15s to 60s"},
		{"alerts:" + connect + "    ring_timeout: 61s", "alerts.connect.ring_timeout", "from 15s to 60s"},
		{"alerts:" + connect + "    ring_timeout: 10m", "alerts.connect.ring_timeout", "RingTimeoutInSeconds"},
		{"alerts:" + connect + "    ring_timeout: -30s", "alerts.connect.ring_timeout", "from 15s to 60s"},
		{"alerts:" + connect + "    per_number_max_calls_per_hour: -2", "alerts.connect.per_number_max_calls_per_hour", "between"},
		{"alerts:" + connect + "    key_attribute: 'a b'", "alerts.connect.key_attribute", "letters"},
		{"alerts:" + connect + "    profile: p\n    role_arn: arn:aws:iam::1:role/r", "alerts.connect.role_arn", "not both"},
		{"alerts:" + connect + "    poll_interval: 2m\n    max_call_duration: 1m", "alerts.connect.max_call_duration", "poll_interval"},
		{"alerts:\n  systems: [{name: ''}]", "alerts.systems[0].name", "non-empty"},
		{"alerts:\n  systems: [{name: A, group_by: [host, '']}]", "alerts.systems[A].group_by[1]", "non-empty"},
		{"alerts:\n  systems: [{name: A, group_by: [host, host]}]", "alerts.systems[A].group_by[1]", "twice"},
		{"alerts:\n  systems: [{name: A, group_by: [a, b, c, d, e, f, g, h, i, j, k]}]", "alerts.systems[A].group_by", "at most 10"},
		{"alerts:\n  systems: [{name: A, group_by: [host], group_window: 48h}]", "alerts.systems[A].group_window", "24h"},
		{"alerts:\n  systems: [{name: A, group_window: 5m}]", "alerts.systems[A].group_window", "needs group_by"},
		{"alerts:\n  systems: [{name: A}, {name: A}]", "alerts.systems[1].name", "two systems"},
		{"alerts:\n  systems: [{name: A, contacts: [{name: x, phone: '090-1234-5678'}]}]", "alerts.systems[A].contacts[0].phone", "E.164"},
		{"alerts:\n  systems: [{name: A, contacts: [{phone: '+819012345678'}]}]", "alerts.systems[A].contacts[0].name", "required"},
		{"alerts:\n  systems: [{name: A, contacts: [{name: x, phone: '+819012345678', language: fr}]}]", "alerts.systems[A].contacts[0].language", "ja-JP"},
		{"alerts:\n  systems: [{name: A, contacts: [{name: x, phone: '+819012345678', hours: 'Mon 9-17'}]}]", "alerts.systems[A].contacts[0].hours", "not a time"},
		{"alerts:\n  systems: [{name: A, rounds: 11}]", "alerts.systems[A].rounds", "between"},
		{"alerts:\n  systems: [{name: A, wait_between_calls: 2h}]", "alerts.systems[A].wait_between_calls", "between"},
		{"alerts:\n  systems: [{name: A, quiet_period: 30s}]", "alerts.systems[A].quiet_period", "between"},
		{"alerts:\n  systems: [{name: A, notify: [nowhere]}]", "alerts.systems[A].notify[0]", "no destination"},
		{"alerts:\n  systems: [{name: A, notify: [ops-chat, ops-chat]}]", "alerts.systems[A].notify[1]", "twice"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(alertsBase + c.yaml))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(ce.Msg, c.msg) {
			t.Errorf("%s\n  got %v, want key %s containing %q", c.yaml, err, c.key, c.msg)
		}
	}
	if _, err := Parse([]byte("alerts: {systems: [{name: A, contact: []}]}")); err == nil {
		t.Error("an unknown key was accepted")
	}
}

func TestAlertSystemGrouping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s      AlertSystem
		by     int
		window time.Duration
	}{
		{AlertSystem{}, 0, 0},
		{AlertSystem{GroupBy: []string{"cluster"}}, 1, DefaultGroupWindow},
		{AlertSystem{GroupBy: []string{"groupKey"}}, 1, 0},
		{AlertSystem{GroupBy: []string{"groupKey"}, GroupWindow: Duration(time.Hour)}, 1, time.Hour},
		{AlertSystem{GroupBy: []string{"groupKey", "cluster"}}, 2, DefaultGroupWindow},
	} {
		by, window := tc.s.Grouping()
		if len(by) != tc.by || window != tc.window {
			t.Errorf("%+v: %v %s, want %d fields, %s", tc.s, by, window, tc.by, tc.window)
		}
	}
}
