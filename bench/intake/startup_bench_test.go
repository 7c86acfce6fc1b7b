package main

// BenchmarkAppNew builds the whole application (store, migrations, auth,
// jobs, HTTP handlers) on a fresh SQLite file per iteration, without
// starting it. Its memory profile shows what start-up allocates (idle RSS):
//
//	go test ./bench/intake -run '^$' -bench AppNew -benchtime 3x -memprofile /tmp/startup.heap -memprofilerate 512
//	go tool pprof -sample_index=alloc_space -top /tmp/startup.heap

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/config"
)

func BenchmarkAppNew(b *testing.B) {
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dir := b.TempDir()
		cfg, err := config.Parse([]byte("database: sqlite:" + filepath.Join(dir, "opsdesk.db") + "\ndata_dir: " + dir + "\nlog_level: warn\n"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		a, err := app.New(ctx, cfg, app.Options{Stdout: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		a.St.Close()
		b.StartTimer()
	}
}
