package oncall

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// BenchmarkStoredOnCall500 is BenchmarkOnCall500 from the database, as the
// API, the console and chat answer it: read the 500 schedules (2 layers and
// 20 overrides each) and say who is on call in each, and until when. One op
// is all 500. BENCH_ENGINE picks the engine (sqlite).
func BenchmarkStoredOnCall500(b *testing.B) {
	engine := "sqlite"
	if e := getenv("BENCH_ENGINE"); e != "" {
		engine = e
	}
	st := storetest.New(b, engine)
	svc := New(st, Options{})
	ctx := context.Background()
	locs := zones(b, testZones...)
	for i := 0; i < 500; i++ {
		if err := svc.SaveSchedule(ctx, benchSchedule(b, uint64(i), locs), "bench"); err != nil {
			b.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 20, 3, 17, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		all, err := svc.Schedules(ctx)
		if err != nil || len(all) != 500 {
			b.Fatalf("%d schedules, %v", len(all), err)
		}
		for _, s := range all {
			OnCall(s, at)
		}
	}
}

func getenv(k string) string { return os.Getenv(k) }
