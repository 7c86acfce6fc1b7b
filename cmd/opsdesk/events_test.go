package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func TestCLIEvents(t *testing.T) {
	out, err := cli(t, "", "events", "samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples.List() {
		if !strings.Contains(out, s.Name) {
			t.Errorf("samples list lacks %s", s.Name)
		}
	}
	if n := strings.Count(out, "\n"); n != len(samples.List()) || n != 15 {
		t.Errorf("samples list has %d lines", n)
	}
	dir := t.TempDir()
	for _, s := range samples.List() {
		out, err := cli(t, "", "events", "sample", s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := payload.Parse([]byte(out)); err != nil {
			t.Errorf("sample %s does not parse: %v", s.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, s.Name+".json"), []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli(t, "", "events", "sample", "nope"); err == nil || !strings.Contains(err.Error(), "s3-put") {
		t.Errorf("unknown sample: %v (want the list of names)", err)
	}

	// match: why, and the exit status.
	pat := filepath.Join(dir, "pattern.json")
	os.WriteFile(pat, []byte(`{"source":["aws.cloudwatch"],"detail":{"state":{"value":["ALARM"]}}}`), 0o600)
	out, err = cli(t, "", "events", "match", pat, filepath.Join(dir, "alarm-state-change.json"))
	if err != nil || !strings.Contains(out, "MATCH") {
		t.Errorf("match: %v\n%s", err, out)
	}
	out, err = cli(t, "", "events", "match", pat, filepath.Join(dir, "s3-put.json"))
	if !errors.Is(err, errNoMatch) || !strings.Contains(out, "no match") || !strings.Contains(out, "source") {
		t.Errorf("no match: %v\n%s", err, out)
	}
	os.WriteFile(pat, []byte(`{"source":"aws.s3"}`), 0o600)
	if _, err := cli(t, "", "events", "match", pat, filepath.Join(dir, "s3-put.json")); err == nil || !strings.Contains(err.Error(), "source") {
		t.Errorf("bad pattern: %v", err)
	}

	// send: to a running opsdesk.
	cfg, err := config.Parse([]byte("database: " + storetest.DatabaseURL(t, "sqlite") + "\ndata_dir: " + t.TempDir() + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := apptest.Start(t, cfg, nil)
	tok, err := s.App.Auth.CreateToken(context.Background(), "cli", auth.ScopeIngestEvents)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "support-case-update.json")
	out, err = cli(t, "", "events", "send", file, "--url", s.URL, "--token", tok)
	if err != nil || !strings.Contains(out, "accepted 1, duplicates 0") || !strings.Contains(out, "matched aws-support-case-update") {
		t.Errorf("send: %v\n%s", err, out)
	}
	out, err = cli(t, "", "events", "send", file, "--url", s.URL, "--token", tok)
	if err != nil || !strings.Contains(out, "accepted 0, duplicates 1") {
		t.Errorf("send again: %v\n%s", err, out)
	}
	if _, err := cli(t, "", "events", "send", file, "--url", s.URL, "--token", "odt_bad"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad token: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"hello": 1}`), 0o600)
	if _, err := cli(t, "", "events", "send", bad, "--url", s.URL, "--token", tok); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("bad payload: %v", err)
	}
	if out, err := cli(t, `{"version":"0","id":"x1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, "events", "send", "-", "--url", s.URL, "--token", tok); err != nil || !strings.Contains(out, "no rule") {
		t.Errorf("send from stdin: %v\n%s", err, out)
	}
}
