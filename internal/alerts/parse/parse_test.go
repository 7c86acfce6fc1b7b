package parse

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFieldErrorText(t *testing.T) {
	t.Parallel()
	if got := (&FieldError{Field: "alertinfo[2].host", Msg: "required"}).Error(); got != "alertinfo[2].host: required" {
		t.Errorf("got %q", got)
	}
	if got := (&FieldError{Msg: "is not valid UTF-8"}).Error(); got != "body is not valid UTF-8" {
		t.Errorf("got %q", got)
	}
}

func TestUnresolved(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"{EVENT.RECOVERY.ID}": true, "{$OPSDESK.SYSTEM}": true, "$SERVICEDESC$": true, "$_HOSTSYSTEM$": true,
		"{}": false, "$$": false, "{x}": false, "{EVENT ID}": false, `{"a":1}`: false, "$5$": true,
		"US$100$": false, "server1": false, "": false,
	} {
		if got := unresolved(s); got != want {
			t.Errorf("unresolved(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  a\n\tb  ":           "a b",
		"a\r\nb\u2028c\x00d":   "a b c d",
		"x\u00a0\u00a0y":       "x y",
		"\n\n":                 "",
		"障害  発生":               "障害 発生",
		"trailing control\x07": "trailing control",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMultiLine(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a\r\nb\rc":           "a\nb\nc",
		"  keep\n\tindent ":   "keep\n\tindent",
		"bell\x07 and\x00nul": "bell andnul",
	} {
		if got := multiLine(in); got != want {
			t.Errorf("multiLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	if got := cutChars("abcdef", 6); got != "abcdef" {
		t.Errorf("no cut needed: %q", got)
	}
	if got := cutChars("abcdefg", 6); got != "abcde…" {
		t.Errorf("cutChars = %q, want abcde…", got)
	}
	if got := cutChars("ab   cdefg", 6); got != "ab…" {
		t.Errorf("cutChars trims before the ellipsis: %q", got)
	}
	if got := cutChars("障害障害障害障害", 4); got != "障害障…" {
		t.Errorf("cutChars counts characters: %q", got)
	}
	// "é" is 2 bytes; a cut must not split it.
	s := strings.Repeat("é", 10)
	for max := 4; max < 20; max++ {
		got := cutBytes(s, max)
		if len(got) > max || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("cutBytes(%d) = %q (%d bytes)", max, got, len(got))
		}
	}
	if got := cutBytes(s, 20); got != s {
		t.Errorf("no cut needed: %q", got)
	}
}

func TestNormSeverity(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		raw  string
		st   Status
		want string
	}{
		{"CRITICAL", StatusFiring, "critical"},
		{" Warning ", StatusFiring, "warning"},
		{"p2", StatusFiring, "error"},
		{"Information", StatusFiring, "info"},
		{"", StatusFiring, ""},
		{"", StatusAcknowledged, ""},
		{"  ", StatusFiring, ""},
		{"whatever", StatusFiring, "critical"},
		{"", StatusResolved, "info"},
		{"critical", StatusResolved, "critical"},
	} {
		if got := normSeverity(c.raw, c.st); got != c.want {
			t.Errorf("normSeverity(%q, %s) = %q, want %q", c.raw, c.st, got, c.want)
		}
	}
}

// Every sample in testdata parses, and its signals keep the promises.
func TestSamplesKeepInvariants(t *testing.T) {
	t.Parallel()
	o := Options{DefaultSystem: "Default", Location: jst}
	for _, c := range []struct {
		file, source string
		parse        func([]byte) ([]Signal, error)
	}{
		{"seed_alertinfo.json", SourceSeed, func(b []byte) ([]Signal, error) { return Seed(b, o) }},
		{"native_single.json", SourceNative, func(b []byte) ([]Signal, error) { return Native(b, o) }},
		{"native_batch.json", SourceNative, func(b []byte) ([]Signal, error) { return Native(b, o) }},
		{"alertmanager_v4.json", SourceAlertmanager, func(b []byte) ([]Signal, error) { return Alertmanager(b, o) }},
		{"alertmanager_grafana.json", SourceAlertmanager, func(b []byte) ([]Signal, error) { return Alertmanager(b, o) }},
		{"zabbix_problem.json", SourceZabbix, func(b []byte) ([]Signal, error) { return Zabbix(b, o) }},
		{"zabbix_ack.json", SourceZabbix, func(b []byte) ([]Signal, error) { return Zabbix(b, o) }},
		{"zabbix_recovery.json", SourceZabbix, func(b []byte) ([]Signal, error) { return Zabbix(b, o) }},
		{"zabbix_problem_tags.json", SourceZabbix, func(b []byte) ([]Signal, error) { return Zabbix(b, o) }},
		{"nagios_seed_style.form", SourceNagios, func(b []byte) ([]Signal, error) { return Nagios(b, formType, o) }},
		{"nagios_service_problem.form", SourceNagios, func(b []byte) ([]Signal, error) { return Nagios(b, formType, o) }},
		{"nagios_host_problem.json", SourceNagios, func(b []byte) ([]Signal, error) { return Nagios(b, "application/json", o) }},
		{"cloudwatch_sns_alarm.json", SourceCloudWatch, func(b []byte) ([]Signal, error) { return CloudWatch(b, o) }},
		{"eventbridge_alarm.json", SourceCloudWatch, func(b []byte) ([]Signal, error) { return CloudWatchEvent(b, o) }},
	} {
		got, err := c.parse(readTestdata(t, c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if len(got) == 0 {
			t.Errorf("%s: no signals", c.file)
		}
		checkInvariants(t, c.source, got, nil)
	}
}

// ?system= and the seed's ?systemname= are one setting: either names the
// system, both may be given when they agree, different values are refused
// naming both.
func TestQuerySystem(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"":                                      "",
		"system=XYZ":                            "XYZ",
		"systemname=XYZ":                        "XYZ",
		"system=XYZ&systemname=XYZ":             "XYZ",
		"system=+XYZ+&systemname=XYZ":           "XYZ",
		"system=&systemname=XYZ":                "XYZ",
		"token=t&systemname=%E5%9F%BA%E7%9B%A4": "基盤",
	} {
		v, _ := url.ParseQuery(q)
		got, err := QuerySystem(v)
		if err != nil || got != want {
			t.Errorf("QuerySystem(%q) = %q, %v; want %q", q, got, err, want)
		}
	}
	for q, c := range map[string]struct{ field, msg string }{
		"system=XYZ&systemname=Billing":                  {"systemname", `?systemname="Billing" disagrees with ?system="XYZ"; they name the same thing, give one of them`},
		"systemname=" + strings.Repeat("x", MaxSystem+1): {"systemname", "is longer than 100 characters"},
	} {
		v, _ := url.ParseQuery(q)
		got, err := QuerySystem(v)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Msg != c.msg || got != "" {
			t.Errorf("QuerySystem(%q) = %q, %v; want field %q: %s", q, got, err, c.field, c.msg)
		}
	}
}
