package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/alerts"
)

// FuzzParsePolicy: whatever body PUT /api/v1/policies/{name} gets, parsing
// and checking it never panics, and every refusal names a field.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		`{"description":"DB","rounds":2,"steps":[{"after":"5m","targets":["user:sato","schedule:platform","chat:ops"],"reescalate":"30m"}]}`,
		`{"steps":[{"targets":["pager:x"]}]}`,
		`{"steps":[{"after":"-1h","targets":["user:"]}]}`,
		`{"name":"db","kind":"policy","steps":[{"targets":["user:a","user:a"]}]}`,
		`{"rounds":-1}`, `[]`, `null`, `{"steps":null}`,
	} {
		f.Add("db", s)
	}
	f.Fuzz(func(t *testing.T, name, body string) {
		var in policyIn
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			return
		}
		p, err := parsePolicy(name, in)
		if err == nil {
			err = alerts.CheckPolicy(&p, func(d string) bool { return d == "ops" })
		}
		if err == nil {
			if p.Rounds < 1 || len(p.Steps) == 0 {
				t.Fatalf("accepted %+v", p)
			}
			for _, st := range p.Steps {
				for _, tg := range st.Targets {
					if tg.Name == "" || strings.ContainsAny(tg.Name, "\n\r") {
						t.Fatalf("accepted target %+v", tg)
					}
				}
			}
			return
		}
		var ve *alerts.ValidationError
		if !errors.As(err, &ve) || ve.Field == "" || ve.Msg == "" {
			t.Fatalf("%s: error %v names no field", body, err)
		}
	})
}

// FuzzRoutesBody: whatever body PUT /api/v1/systems/{name}/routes gets,
// checking it never panics and every refusal names a route's field.
func FuzzRoutesBody(f *testing.F) {
	for _, s := range []string{
		`[{"severities":["critical"],"policy":"platform"},{"severities":["info"],"record_only":true}]`,
		`[{"hours":"Mon-Fri 09:00-18:00","policy":"db"}]`,
		`[{"severities":["loud"],"policy":"db"}]`, `[{"hours":"Mon-Fri 22:00-07:00; Sat","record_only":true}]`,
		`[{}]`, `[]`, `[{"policy":"x","record_only":true}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in []routeJSON
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			return
		}
		var rs []alerts.Route
		for _, r := range in {
			rs = append(rs, alerts.Route{Severities: r.Severities, Hours: r.Hours, Policy: r.Policy, RecordOnly: r.RecordOnly})
		}
		err := alerts.CheckRoutes(rs, func(p string) bool { return p == "platform" })
		if err == nil {
			for _, r := range rs {
				if r.RecordOnly == (r.Policy != "") {
					t.Fatalf("accepted %+v", r)
				}
			}
			return
		}
		var ve *alerts.ValidationError
		if !errors.As(err, &ve) || !strings.HasPrefix(ve.Field, "routes") {
			t.Fatalf("%s: error %v names no route field", body, err)
		}
	})
}
