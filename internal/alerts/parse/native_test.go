package parse

import (
	"testing"
)

func TestNative(t *testing.T) {
	t.Parallel()
	t.Run("single object", func(t *testing.T) {
		t.Parallel()
		got, err := Native(readTestdata(t, "native_single.json"), Options{DefaultSystem: "unused"})
		if err != nil {
			t.Fatal(err)
		}
		checkSignals(t, got, []Signal{{
			Source: "native", System: "XYZ", DedupKey: "db1-disk-/var", Status: StatusFiring,
			Summary:  "Disk /var 95% full on db1",
			Details:  "Filesystem /var on db1 is 95% full (47.5 of 50 GiB).\nLargest directory: /var/log/postgresql",
			Severity: "error", Host: "db1", Service: "disk /var",
			StartedAt: utc(2024, 5, 1, 0, 0, 0, 0), // 09:00 +09:00
			Labels: map[string]string{
				"severity": "P2",
				"runbook":  "https://wiki.example.com/runbooks/disk",
				"attempt":  "3",
			},
		}})
	})
	t.Run("array", func(t *testing.T) {
		t.Parallel()
		got, err := Native(readTestdata(t, "native_batch.json"), Options{DefaultSystem: "Ops"})
		if err != nil {
			t.Fatal(err)
		}
		checkSignals(t, got, []Signal{
			{
				Source: "native", System: "Ops",
				DedupKey: hashKey("backup1", "backup", "Nightly backup did not finish"),
				Status:   StatusFiring, Summary: "Nightly backup did not finish",
				Details: `{
  "exit_code": 2,
  "job": "nightly-full",
  "log_tail": [
    "rsync: connection unexpectedly closed",
    "error in rsync protocol data stream"
  ]
}`,
				Severity: "", Host: "backup1", Service: "backup",
				Labels: map[string]string{},
			},
			{
				Source: "native", System: "Billing", DedupKey: "invoice-queue", Status: StatusResolved,
				Summary: "Invoice queue is draining again", Severity: "info",
				Labels: map[string]string{},
			},
			{
				Source: "native", System: "Billing", DedupKey: "payment-gw", Status: StatusAcknowledged,
				Summary: "Payment gateway timeouts", Severity: "critical",
				Labels: map[string]string{"severity": "critical"},
			},
		})
	})
}

// A resolve without dedup_key finds its alert when host, service and
// summary repeat, whatever the whitespace.
func TestNativeDerivedKeyIsStable(t *testing.T) {
	t.Parallel()
	fire, err := Native([]byte(`{"system":"S","host":"h","service":"svc","summary":"Queue  stuck"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Native([]byte(`{"system":"S","host":" h ","service":"svc","summary":"Queue stuck\n","status":"resolved"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fire[0].DedupKey != res[0].DedupKey {
		t.Errorf("keys differ: %q vs %q", fire[0].DedupKey, res[0].DedupKey)
	}
	other, _ := Native([]byte(`{"system":"S","host":"h2","service":"svc","summary":"Queue stuck"}`), Options{})
	if other[0].DedupKey == fire[0].DedupKey {
		t.Errorf("different hosts share key %q", fire[0].DedupKey)
	}
}

func TestNativeDetailsKeepsHTML(t *testing.T) {
	t.Parallel()
	got, err := Native([]byte(`{"system":"S","summary":"x","details":{"expr":"a < b && c > d"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"expr\": \"a < b && c > d\"\n}"; got[0].Details != want {
		t.Errorf("Details = %q, want %q", got[0].Details, want)
	}
}

func TestNativeErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body, field, msg string
		o                      Options
	}{
		{name: "empty", body: "", field: "", msg: "is empty"},
		{name: "string body", body: `"hello"`, field: "", msg: "object or an array"},
		{name: "empty array", body: `[]`, field: "", msg: "at least one"},
		{name: "summary missing", body: `{"system":"S"}`, field: "summary", msg: "required"},
		{name: "summary only spaces", body: `{"system":"S","summary":" \n\t "}`, field: "summary", msg: "required"},
		{name: "summary missing in second", body: `[{"system":"S","summary":"a"},{"system":"S"}]`, field: "[1].summary", msg: "required"},
		{name: "bad status", body: `{"system":"S","summary":"a","status":"open"}`, field: "status", msg: `"firing", "resolved" or "acknowledged"`},
		{name: "bad status in array", body: `[{"system":"S","summary":"a","status":"ok"}]`, field: "[0].status", msg: "must be"},
		{name: "no system", body: `{"summary":"a"}`, field: "system", msg: `no system given; set "system", add ?system= to the URL, or set alerts.default_system`},
		{name: "unknown field", body: `{"system":"S","summary":"a","sumary":"b"}`, field: "sumary", msg: "not a known field"},
		{name: "labels not object", body: `{"system":"S","summary":"a","labels":["x"]}`, field: "labels", msg: "must be an object"},
		{name: "label not string", body: `{"system":"S","summary":"a","labels":{"x":{"y":1}}}`, field: "labels.x", msg: "must be a string"},
		{name: "bad started_at", body: `{"system":"S","summary":"a","started_at":"yesterday"}`, field: "started_at", msg: "RFC 3339"},
		{name: "boolean summary", body: `{"system":"S","summary":true}`, field: "summary", msg: "must be a string"},
		{name: "element not object", body: `[{"system":"S","summary":"a"}, 3]`, field: "[1]", msg: "must be an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Native([]byte(c.body), c.o)
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
}
