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
