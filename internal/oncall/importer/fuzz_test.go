package importer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// checkFuzz holds for both parsers: an error is a FieldError or a JSON error, never a
// panic; a result always loads as the config's schedule (finish checked it) and has YAML.
func checkFuzz(t *testing.T, r *Result, err error) {
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) && (fe.Field == "" || fe.Msg == "") {
			t.Fatalf("field error without field or message: %#v", fe)
		}
		return
	}
	if len(r.YAML) == 0 || len(r.Schedule.Layers) == 0 {
		t.Fatalf("empty result: %+v", r)
	}
	if _, err := r.Schedule.Convert(); err != nil {
		t.Fatalf("result does not convert: %v", err)
	}
}

// seed reads a sample export for the seed corpus.
func seed(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzPagerDuty(f *testing.F) {
	for _, name := range []string{"pagerduty-platform.json", "pagerduty-tokyo.json"} {
		f.Add(seed(f, name), []byte(nil))
	}
	f.Add(seed(f, "pagerduty-platform.json"), seed(f, "pagerduty-platform-overrides.json"))
	f.Add([]byte(`{"schedule":{"name":"x","time_zone":"UTC","schedule_layers":[{"rotation_virtual_start":"2026-01-01T00:00:00Z","rotation_turn_length_seconds":3600,"users":[{"user":{"summary":"a"}}],"restrictions":[{"type":"weekly_restriction","start_time_of_day":"23:59:00","duration_seconds":604800,"start_day_of_week":7}]}]}}`), []byte(`{"overrides":[]}`))
	f.Add([]byte(`{"name":"x","time_zone":"UTC","schedule_layers":[]}`), []byte(`null`))
	f.Fuzz(func(t *testing.T, schedule, overrides []byte) {
		r, err := PagerDuty(schedule, overrides, Options{Now: now})
		checkFuzz(t, r, err)
	})
}

func FuzzGoAlert(f *testing.F) {
	for _, name := range []string{"goalert-platform.json", "goalert-tokyo.json"} {
		f.Add(seed(f, name))
	}
	f.Add([]byte(`{"schedule":{"name":"x","timeZone":"UTC","targets":[{"target":{"id":"r","type":"rotation","name":"r"},"rules":[{"start":"23:59","end":"00:00","weekdayFilter":[true,false,false,false,false,false,true]}]}]},"rotations":[{"id":"r","type":"hourly","shiftLength":1000,"start":"1900-01-01T00:00:00Z","timeZone":"UTC","users":[{"name":"a"}]}]}`))
	f.Add([]byte(`{"data":null,"schedule":{"name":"x","timeZone":"UTC","targets":[{"target":{"type":"user","name":"u"},"rules":[{"start":"00:00","end":"00:00","weekdayFilter":[true,true,true,true,true,true,true]}]}]}}`))
	f.Fuzz(func(t *testing.T, export []byte) {
		r, err := GoAlert(export, Options{Now: now})
		checkFuzz(t, r, err)
	})
}
