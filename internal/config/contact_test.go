package config

import (
	"errors"
	"testing"
)

// TestOnCallContactConfig: oncall.sms and oncall.email parse beside the
// schedules, and mistakes name their key.
func TestOnCallContactConfig(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
oncall:
  sms:
    region: ap-northeast-1
    origination_identity: "+815055550100"
    configuration_set: opsdesk-alerts
  email:
    from: "opsdesk <alerts@example.com>"
    configuration_set: opsdesk-mail
`))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.OnCall.SMS; s == nil || s.Region != "ap-northeast-1" || s.OriginationIdentity != "+815055550100" || s.ConfigurationSet != "opsdesk-alerts" {
		t.Errorf("sms %+v", c.OnCall.SMS)
	}
	if e := c.OnCall.Email; e == nil || e.From != "opsdesk <alerts@example.com>" || e.Region != "" || e.ConfigurationSet != "opsdesk-mail" {
		t.Errorf("email %+v", c.OnCall.Email)
	}
	for yaml, key := range map[string]string{
		"oncall:\n  sms:\n    region: tokyo\n":                                                                                          "oncall.sms.region",
		"oncall:\n  sms:\n    origination_identity: \"a b\"\n":                                                                          "oncall.sms.origination_identity",
		"oncall:\n  email:\n    configuration_set: x\n":                                                                                 "oncall.email.from",
		"oncall:\n  email:\n    from: not-an-address\n":                                                                                 "oncall.email.from",
		"oncall:\n  email:\n    from: a@example.com\n    region: x\n":                                                                   "oncall.email.region",
		"oncall:\n  users:\n    - {name: \"\"}\n":                                                                                       "oncall.users[0].name",
		"oncall:\n  users:\n    - {name: a}\n    - {name: a}\n":                                                                         "oncall.users[1].name",
		"oncall:\n  users:\n    - {name: a, contact_methods: [{kind: fax, address: x}]}\n":                                              "oncall.users[0].contact_methods[0].kind",
		"oncall:\n  users:\n    - {name: a, contact_methods: [{kind: sms}]}\n":                                                          "oncall.users[0].contact_methods[0].address",
		"oncall:\n  users:\n    - {name: a, contact_methods: [{kind: chat, address: U1, destination: x}]}\n":                            "oncall.users[0].contact_methods[0].destination",
		"oncall:\n  users:\n    - {name: a, contact_methods: [{kind: sms, address: x}], rules: [{method: \"1\"}]}\n":                    "oncall.users[0].rules[0].method",
		"oncall:\n  users:\n    - {name: a, contact_methods: [{kind: sms, address: x, label: m}], rules: [{method: m, after: 25h}]}\n":  "oncall.users[0].rules[0].after",
		"oncall:\n  users:\n    - {name: a, contact_methods: [{kind: sms, address: x}], rules: [{method: \"0\", severities: [bad]}]}\n": "oncall.users[0].rules[0].severities",
	} {
		_, err := Parse([]byte(yaml))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%q: %v, want key %s", yaml, err, key)
		}
	}
	if _, err := Parse([]byte("oncall:\n  sms:\n    regoin: x\n")); err == nil {
		t.Error("misspelled key accepted")
	}
}
