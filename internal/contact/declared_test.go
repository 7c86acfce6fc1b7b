package contact_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestApplyDeclared: oncall.users adds verified methods and sets the
// rules; applying again changes nothing; a missing user is reported;
// console methods stay; mistakes name the config key.
func TestApplyDeclared(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBundle(t, st)
		ctx := context.Background()
		cfg, err := config.Parse([]byte(`
destinations:
  - {name: ops-slack, type: slack, url: "https://hooks.slack.com/services/T0/B0/x"}
oncall:
  users:
    - name: sato
      contact_methods:
        - {kind: chat, address: U012ABCDEF, destination: ops-slack, label: slack}
        - {kind: sms, address: "+81 90 1234 5678", label: mobile}
        - {kind: email, address: sato@example.com}
      rules:
        - {method: slack, after: 0s}
        - {method: mobile, after: 1m}
        - {method: "2", after: 3m, severities: [critical]}
    - name: ghost
      contact_methods:
        - {kind: sms, address: "+819000000000"}
`))
		if err != nil {
			t.Fatal(err)
		}
		console := b.add(t, "sato", contactNewSMS("+819099999999"))
		for range 2 {
			missing, err := b.svc.ApplyDeclared(ctx, cfg.OnCall.Users)
			if err != nil || fmt.Sprint(missing) != "[ghost]" {
				t.Fatalf("apply: %v %v", missing, err)
			}
		}
		ms, _ := b.svc.Methods(ctx, "sato")
		if len(ms) != 4 || ms[0].ID != console.ID || ms[0].Verified || !ms[1].Verified || ms[2].Address != "+819012345678" || ms[2].Label != "mobile" {
			t.Fatalf("methods %+v", ms)
		}
		p, err := b.svc.Plan(ctx, "sato", "critical")
		if err != nil || len(p) != 3 || p[0].Method.Kind != "chat" || p[1].Delay != time.Minute || p[2].Method.Kind != "email" || p[2].Delay != 3*time.Minute {
			t.Fatalf("plan %+v %v", p, err)
		}
		if p, _ := b.svc.Plan(ctx, "sato", "info"); len(p) != 2 {
			t.Fatalf("info plan %+v", p)
		}
		bad, err := config.Parse([]byte(`
oncall:
  users:
    - name: sato
      contact_methods:
        - {kind: sms, address: "090-1234"}
`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.ApplyDeclared(ctx, bad.OnCall.Users)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != "oncall.users[0].contact_methods[0].address" {
			t.Fatalf("bad address: %v", err)
		}
	})
}
