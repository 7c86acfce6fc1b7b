package parse

import (
	"testing"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	got, err := Seed(readTestdata(t, "seed_alertinfo.json"), Options{Location: jst})
	if err != nil {
		t.Fatal(err)
	}
	checkSignals(t, got, []Signal{
		{
			Source: "seed", System: "XYZ", DedupKey: "server1/CPU Utilization", Status: StatusFiring,
			Summary: "CPU Utilization on server1", Severity: "",
			Host: "server1", Service: "CPU Utilization",
			StartedAt: utc(2023, 10, 3, 4, 20, 52, 0), // 13:20:52 JST
			Labels:    map[string]string{"lastcheck": "2023-10-03 13:20:52"},
		},
		{
			Source: "seed", System: "XYZ", DedupKey: "db01/ディスク使用率", Status: StatusFiring,
			Summary: "ディスク使用率 on db01", Severity: "warning",
			Host: "db01", Service: "ディスク使用率",
			StartedAt: utc(2023, 10, 3, 4, 21, 7, 0),
			Labels:    map[string]string{"lastcheck": "2023-10-03 13:21:07", "severity": "warning"},
		},
		{
			// An unreadable lastcheck does not lose the page: StartedAt
			// stays zero and the text is kept.
			Source: "seed", System: "Billing", DedupKey: "web02/HTTP", Status: StatusFiring,
			Summary: "HTTP on web02", Severity: "",
			Host: "web02", Service: "HTTP",
			Labels: map[string]string{"lastcheck": "yesterday", "language": "ja"},
		},
	})
}

func TestSeedLocationDefaultsToUTC(t *testing.T) {
	t.Parallel()
	got, err := Seed([]byte(`{"alertinfo":[{"host":"h","service":"s","lastcheck":"2023-10-03 13:20:52","systemname":"X"}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := utc(2023, 10, 3, 13, 20, 52, 0); !got[0].StartedAt.Equal(want) {
		t.Errorf("StartedAt = %v, want %v", got[0].StartedAt, want)
	}
}

func TestSeedDefaultSystem(t *testing.T) {
	t.Parallel()
	body := []byte(`{"alertinfo":[{"host":"h1","service":"ping"},{"host":"h2","service":"ping","systemname":"Own"}]}`)
	got, err := Seed(body, Options{DefaultSystem: "Fallback"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].System != "Fallback" || got[1].System != "Own" {
		t.Errorf("systems = %q, %q; want Fallback, Own", got[0].System, got[1].System)
	}
}

func TestSeedErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body, field, msg string
	}{
		{"empty body", "  \n", "", "is empty"},
		{"not JSON", `{"alertinfo": [`, "", "not valid JSON"},
		{"invalid UTF-8", "{\"alertinfo\":[{\"host\":\"\xff\"}]}", "", "not valid UTF-8"},
		{"trailing data", `{"alertinfo":[{"host":"a","service":"b","systemname":"c"}]} {}`, "", "data after"},
		{"array body", `[]`, "", "must be a JSON object"},
		{"no alertinfo", `{"alerts":[]}`, "alertinfo", "required"},
		{"alertinfo not array", `{"alertinfo":{"host":"a"}}`, "alertinfo", "must be an array"},
		{"alertinfo empty", `{"alertinfo":[]}`, "alertinfo", "at least one"},
		{"entry not object", `{"alertinfo":["server1"]}`, "alertinfo[0]", "must be an object"},
		{"third host missing", `{"alertinfo":[
			{"host":"a","service":"s","systemname":"X"},
			{"host":"b","service":"s","systemname":"X"},
			{"service":"s","systemname":"X"}]}`, "alertinfo[2].host", "required"},
		{"host blank", `{"alertinfo":[{"host":"  ","service":"s","systemname":"X"}]}`, "alertinfo[0].host", "required"},
		{"service missing", `{"alertinfo":[{"host":"a","systemname":"X"}]}`, "alertinfo[0].service", "required"},
		{"systemname missing", `{"alertinfo":[{"host":"a","service":"s"}]}`, "alertinfo[0].systemname", "required"},
		{"host an object", `{"alertinfo":[{"host":{"name":"a"},"service":"s","systemname":"X"}]}`, "alertinfo[0].host", "must be a string"},
		{"systemname too long", `{"alertinfo":[{"host":"a","service":"s","systemname":"` + longString("x", MaxSystem+1) + `"}]}`, "alertinfo[0].systemname", "longer than 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Seed([]byte(c.body), Options{})
			wantFieldError(t, got, err, c.field, c.msg)
		})
	}
}

func TestSeedTooManyAlerts(t *testing.T) {
	t.Parallel()
	entry := `{"host":"a","service":"s","systemname":"X"}`
	body := `{"alertinfo":[` + entry
	for range MaxSignals {
		body += "," + entry
	}
	body += "]}"
	got, err := Seed([]byte(body), Options{})
	wantFieldError(t, got, err, "alertinfo", "at most 1000")
}

func longString(unit string, n int) string {
	b := make([]byte, 0, n*len(unit))
	for range n {
		b = append(b, unit...)
	}
	return string(b)
}
