package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/config"
)

func TestStartupHeap(t *testing.T) {
	out := os.Getenv("BENCH_STARTUP_HEAP")
	if out == "" {
		t.Skip("set BENCH_STARTUP_HEAP=FILE to write a heap profile of app.New")
	}
	runtime.MemProfileRate = 512
	dir := t.TempDir()
	cfg, err := config.Parse([]byte("database: sqlite:" + filepath.Join(dir, "opsdesk.db") + "\nlog_level: warn\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ { // the second start is the restart case
		a, err := app.New(ctx, cfg, app.Options{Stdout: &discard{}})
		if err != nil {
			t.Fatal(err)
		}
		a.St.Close()
	}
	runtime.GC() // the allocs profile is as of the last completed GC
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
