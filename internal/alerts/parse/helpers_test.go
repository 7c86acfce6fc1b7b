package parse

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// jst is the zone the seed article's monitors run in.
var jst = time.FixedZone("JST", 9*3600)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// utc builds an expected StartedAt.
func utc(year int, month time.Month, day, hour, min, sec, nsec int) time.Time {
	return time.Date(year, month, day, hour, min, sec, nsec, time.UTC)
}

// checkSignals compares every field of every signal and names the ones
// that differ.
func checkSignals(t *testing.T, got, want []Signal) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d signals, want %d:\n%#v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		eq := func(field string, gv, wv any) {
			t.Helper()
			if !reflect.DeepEqual(gv, wv) {
				t.Errorf("signal %d: %s = %q, want %q", i, field, gv, wv)
			}
		}
		eq("Source", g.Source, w.Source)
		eq("System", g.System, w.System)
		eq("DedupKey", g.DedupKey, w.DedupKey)
		eq("Status", g.Status, w.Status)
		eq("Summary", g.Summary, w.Summary)
		eq("Details", g.Details, w.Details)
		eq("Severity", g.Severity, w.Severity)
		eq("Host", g.Host, w.Host)
		eq("Service", g.Service, w.Service)
		if !g.StartedAt.Equal(w.StartedAt) || g.StartedAt.Location() != time.UTC {
			t.Errorf("signal %d: StartedAt = %v, want %v (in UTC)", i, g.StartedAt, w.StartedAt)
		}
		if g.Labels == nil {
			t.Errorf("signal %d: Labels is nil", i)
		}
		for _, k := range slices.Sorted(maps.Keys(w.Labels)) {
			if gv, ok := g.Labels[k]; !ok {
				t.Errorf("signal %d: Labels[%q] missing, want %q", i, k, w.Labels[k])
			} else if gv != w.Labels[k] {
				t.Errorf("signal %d: Labels[%q] = %q, want %q", i, k, gv, w.Labels[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g.Labels)) {
			if _, ok := w.Labels[k]; !ok {
				t.Errorf("signal %d: unexpected Labels[%q] = %q", i, k, g.Labels[k])
			}
		}
	}
}

// wantFieldError checks that err is a *FieldError for field whose message
// contains msg.
func wantFieldError(t *testing.T, sigs []Signal, err error, field, msg string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want *FieldError for %q; signals %#v", err, err, field, sigs)
	}
	if fe.Field != field {
		t.Errorf("Field = %q, want %q (error %q)", fe.Field, field, fe.Error())
	}
	if !strings.Contains(fe.Msg, msg) {
		t.Errorf("Msg = %q, want it to contain %q", fe.Msg, msg)
	}
	if sigs != nil {
		t.Errorf("signals = %#v alongside an error, want nil", sigs)
	}
}

// checkInvariants asserts what every parser promises about its result,
// whatever the input. Fuzz targets run it on every input.
func checkInvariants(t *testing.T, source string, sigs []Signal, err error) {
	t.Helper()
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("error is %T (%v), want *FieldError", err, err)
		}
		if fe.Msg == "" || !utf8.ValidString(fe.Error()) {
			t.Fatalf("bad error text %q", fe.Error())
		}
		if sigs != nil {
			t.Fatalf("signals alongside an error: %#v", sigs)
		}
		return
	}
	if len(sigs) > MaxSignals {
		t.Fatalf("%d signals, more than MaxSignals", len(sigs))
	}
	for i, s := range sigs {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("signal %d: "+format+"\n%#v", append(append([]any{i}, args...), s)...)
		}
		if s.Source != source {
			fail("Source %q, want %q", s.Source, source)
		}
		switch s.Status {
		case StatusFiring, StatusResolved, StatusAcknowledged:
		default:
			fail("Status %q", s.Status)
		}
		switch s.Severity {
		case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo, SeverityUnspecified:
		default:
			fail("Severity %q", s.Severity)
		}
		for _, f := range []struct {
			name     string
			v        string
			max      int
			required bool
		}{
			{"System", s.System, MaxSystem, true},
			{"DedupKey", s.DedupKey, MaxDedupKey, true},
			{"Summary", s.Summary, MaxSummary, true},
			{"Host", s.Host, MaxField, false},
			{"Service", s.Service, MaxField, false},
			{"GroupKey", s.GroupKey, MaxDedupKey, false},
		} {
			if f.required && f.v == "" {
				fail("%s is empty", f.name)
			}
			if !isOneLine(f.v) {
				fail("%s %q is not one clean line", f.name, f.v)
			}
			if n := utf8.RuneCountInString(f.v); n > f.max {
				fail("%s has %d characters, max %d", f.name, n, f.max)
			}
		}
		if len(s.Details) > MaxDetails || !utf8.ValidString(s.Details) || s.Details != strings.TrimSpace(s.Details) {
			fail("Details out of bounds (%d bytes) or untrimmed", len(s.Details))
		}
		if strings.ContainsFunc(s.Details, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) {
			fail("Details holds control characters")
		}
		if s.Labels == nil || len(s.Labels) > MaxLabels {
			fail("Labels nil or %d entries", len(s.Labels))
		}
		for k, v := range s.Labels {
			if k == "" || v == "" || utf8.RuneCountInString(k) > MaxLabelKey || utf8.RuneCountInString(v) > MaxLabelValue ||
				!utf8.ValidString(k) || !utf8.ValidString(v) || !isOneLine(k) {
				fail("bad label %q=%q", k, v)
			}
		}
		if !s.StartedAt.IsZero() && (s.StartedAt.Location() != time.UTC || s.StartedAt.Year() < 1971 || s.StartedAt.Year() > 9999) {
			fail("StartedAt %v", s.StartedAt)
		}
	}
}

// isOneLine reports text that is valid UTF-8, trimmed, and free of control
// characters and runs of whitespace.
func isOneLine(s string) bool {
	if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
		return false
	}
	prevSpace := false
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
		sp := unicode.IsSpace(r)
		if sp && (r != ' ' || prevSpace) {
			return false
		}
		prevSpace = sp
	}
	return true
}
