package parse

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkSeed(b *testing.B) {
	body := readTestdata(b, "seed_alertinfo.json")
	o := Options{Location: jst}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Seed(body, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAlertmanager(b *testing.B) {
	b.Run("sample-2-alerts", func(b *testing.B) {
		body := readTestdata(b, "alertmanager_v4.json")
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Alertmanager(body, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("100-alerts", func(b *testing.B) {
		var alerts []string
		for i := range 100 {
			alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"DiskFull","instance":"node%d:9100","job":"node","severity":"warning","system":"XYZ","mountpoint":"/var"},
				"annotations":{"summary":"Disk /var above 90%% on node%d","description":"Filesystem /var is 93%% full.\nVALUE = 93"},
				"startsAt":"2024-05-01T08:51:03.157Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=x","fingerprint":"%016x"}`, i, i, i))
		}
		body := []byte(`{"receiver":"opsdesk","status":"firing","alerts":[` + strings.Join(alerts, ",") + `],"externalURL":"http://am:9093","version":"4","groupKey":"{}:{}","truncatedAlerts":0}`)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			got, err := Alertmanager(body, Options{})
			if err != nil || len(got) != 100 {
				b.Fatal(len(got), err)
			}
		}
	})
}
