package parse

import (
	"bytes"
	"maps"
	"mime/multipart"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Each fuzz target checks that a parser never panics, that whatever it
// returns keeps the promises of checkInvariants, and that it is
// deterministic (same input, same signals: no map-order leaks).

var fuzzOptions = []Options{
	{},
	{DefaultSystem: "Fallback", Location: jst},
}

func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(readTestdata(f, n))
	}
}

func fuzzParser(t *testing.T, source string, parse func(Options) ([]Signal, error)) {
	for _, o := range fuzzOptions {
		got, err := parse(o)
		checkInvariants(t, source, got, err)
		again, err2 := parse(o)
		if !reflect.DeepEqual(got, again) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("not deterministic:\n%#v %v\n%#v %v", got, err, again, err2)
		}
	}
}

func FuzzSeed(f *testing.F) {
	addFiles(f, "seed_alertinfo.json")
	f.Add([]byte(`{"alertinfo":[{"host":"{HOST}","service":"$S$","systemname":" x ","lastcheck":"2023-02-30 25:00:00"}]}`))
	f.Add([]byte(`{"alertinfo":[{"host":1e400,"service":-0,"systemname":"\u2028"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, SourceSeed, func(o Options) ([]Signal, error) { return Seed(body, o) })
	})
}

func FuzzNative(f *testing.F) {
	addFiles(f, "native_single.json", "native_batch.json")
	f.Add([]byte(`[{"summary":"\ud800 x","details":[1,{"a":null}],"labels":{"":"v","k":""},"started_at":"0000-01-01T00:00:00Z"}]`))
	f.Add([]byte(`{"summary":"s","system":"s","started_at":"9999-12-31T23:59:59-23:59"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, SourceNative, func(o Options) ([]Signal, error) { return Native(body, o) })
	})
}

func FuzzAlertmanager(f *testing.F) {
	addFiles(f, "alertmanager_v4.json", "alertmanager_grafana.json")
	f.Add([]byte(`{"alerts":[{"status":"firing","labels":{"alertname":" ","system":"s"},"annotations":{"description":"\n\nx"}}]}`))
	f.Add([]byte(`{"groupKey":"{}:{a=\"\u2028\"}\n\t` + strings.Repeat("k", 300) + `","alerts":[{"status":"firing","labels":{"alertname":"a","system":"s"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, SourceAlertmanager, func(o Options) ([]Signal, error) { return Alertmanager(body, o) })
	})
}

func FuzzZabbix(f *testing.F) {
	addFiles(f, "zabbix_problem.json", "zabbix_ack.json", "zabbix_recovery.json", "zabbix_problem_tags.json")
	f.Add([]byte(`{"EVENT.ID":"1","event_value":true,"eventtags":[{"tag":"system","value":"s"},{"tag":1}],"subject":"x"}`))
	f.Add([]byte(`{"eventid":"1","eventvalue":"1","eventtags":"[{\"tag\":\"system\"}]","triggername":"t","eventdate":"2023.02.29","eventtime":"24:00:00"}`))
	f.Add([]byte(`{"eventid":"1","eventvalue":"1","event_tags":"system:, :x, a:b:c, , \u2028:\n, systemname:S","hostname":" "}`))
	f.Add([]byte(`{"eventid":"2","eventvalue":"1","system":"A","systemname":"B","triggerdescription":"\n\n"}`))
	f.Add([]byte(`{"eventid":"3","eventvalue":"0","tags":{"system":"s","k":1},"eventtagsjson":"[{\"tag\":\"system\",\"value\":\"t\"}"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, SourceZabbix, func(o Options) ([]Signal, error) { return Zabbix(body, o) })
	})
}

func FuzzNagios(f *testing.F) {
	for _, c := range []struct{ file, ct string }{
		{"nagios_service_problem.form", formType},
		{"nagios_service_recovery.form", formType},
		{"nagios_service_ack.json", "application/json"},
		{"nagios_host_problem.json", "application/json"},
		{"nagios_host_recovery.form", ""},
		{"nagios_host_ack.json", "text/plain; charset=utf-8"},
		{"nagios_flappingstart.form", formType},
	} {
		f.Add(readTestdata(f, c.file), c.ct)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("NOTIFICATIONTYPE", "PROBLEM")
	_ = w.WriteField("HOSTNAME", "h")
	_ = w.WriteField("SYSTEM", "s")
	w.Close()
	f.Add(buf.Bytes(), w.FormDataContentType())
	f.Add([]byte("NOTIFICATIONTYPE=FLAPPINGSTOP&HOSTNAME=h&HOSTSTATE=UP&LONGDATETIME=Mon+Jan+1+00:00:00++0000+1"), "")
	f.Add(readTestdata(f, "nagios_seed_style.form"), formType)
	f.Add([]byte("HOSTADDRESS=%0A&SERVICEDESC=s&SERVICESTATE=ok&SYSTEM=a&systemname=A&SUBJECT=%E2%80%A8"), "")
	f.Add([]byte(`{"hostalias":"h","hoststate":"up","_HOSTSYSTEMNAME":"x","_HOSTSYSTEM":"y"}`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		fuzzParser(t, SourceNagios, func(o Options) ([]Signal, error) { return Nagios(body, contentType, o) })
	})
}

// FuzzCloudWatch feeds the same input to both CloudWatch shapes.
func FuzzCloudWatch(f *testing.F) {
	addFiles(f, "cloudwatch_sns_alarm.json", "cloudwatch_sns_ok.json", "cloudwatch_sns_insufficient.json",
		"eventbridge_alarm.json", "eventbridge_ok.json")
	f.Add([]byte(`{"AlarmName":"a","NewStateValue":"ok","AlarmArn":"arn:::::::","AlarmTags":{"system":"s"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, SourceCloudWatch, func(o Options) ([]Signal, error) { return CloudWatch(body, o) })
		fuzzParser(t, SourceCloudWatch, func(o Options) ([]Signal, error) { return CloudWatchEvent(body, o) })
	})
}

// FuzzZabbixTagString: Zabbix renders {EVENT.TAGS} as "tag[:value], …";
// whatever the text, the reader keeps its promises (trimmed, non-empty
// names; deterministic), and tags rendered the way Zabbix does come back
// as they were, as long as no name holds ':' and no value holds ", ".
func FuzzZabbixTagString(f *testing.F) {
	f.Add("class", "os", "scope", "")
	f.Add("runbook", "https://wiki.example.com/a:b", "障害", "発生")
	f.Add("a", "1,2", "b", " ")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		render := func(k, v string) string {
			if v == "" {
				return k
			}
			return k + ":" + v
		}
		text := render(k1, v1) + ", " + render(k2, v2)
		got := zabbixTagString(text)
		if again := zabbixTagString(text); !maps.Equal(got, again) {
			t.Fatalf("not deterministic: %q", text)
		}
		for k, v := range got {
			if k == "" || k != strings.TrimSpace(k) || v != strings.TrimSpace(v) {
				t.Fatalf("bad tag %q=%q from %q", k, v, text)
			}
		}
		clean := func(s string) bool { return s == strings.TrimSpace(s) && utf8.ValidString(s) }
		if !clean(k1) || !clean(k2) || !clean(v1) || !clean(v2) || k1 == "" || k2 == "" || k1 == k2 ||
			strings.ContainsAny(k1+k2, ":") || strings.Contains(k1+k2+v1+v2, ",") {
			return
		}
		want := map[string]string{k1: v1, k2: v2}
		if !maps.Equal(got, want) {
			t.Fatalf("zabbixTagString(%q) = %q, want %q", text, got, want)
		}
	})
}
