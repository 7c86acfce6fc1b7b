package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" {
		t.Errorf("addr = %q", cfg.Addr)
	}
	if cfg.Database != "sqlite:./data/opsdesk.db" {
		t.Errorf("database = %q", cfg.Database)
	}
	if cfg.Deliveries.RetryFor.D() != 24*time.Hour {
		t.Errorf("retry_for = %v", cfg.Deliveries.RetryFor.D())
	}
}

func TestEnvWinsOverFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "opsdesk.yaml")
	if err := os.WriteFile(f, []byte("addr: 0.0.0.0:9000\ndatabase: sqlite:/tmp/x.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load("", env(map[string]string{"OPSDESK_CONFIG": f, "OPSDESK_ADDR": "127.0.0.1:9999"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" {
		t.Errorf("env did not win: addr = %q", cfg.Addr)
	}
	if cfg.Database != "sqlite:/tmp/x.db" {
		t.Errorf("file value lost: database = %q", cfg.Database)
	}
	if cfg.Source != f {
		t.Errorf("source = %q", cfg.Source)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, want string
	}{
		{"bad addr", "addr: nope", "addr"},
		{"bad database", "database: mysql://x", "database"},
		{"unknown key", "adress: x", "field adress not found"},
		{"bad duration", "deliveries:\n  retry_for: soon", "line 2"},
		{"short retry", "deliveries:\n  retry_for: 1s", "deliveries.retry_for"},
		{"bad proxy", "trusted_proxies: [10.0.0.0/99]", "trusted_proxies[0]"},
		{"dest no type", "destinations:\n  - name: a\n    url: https://x", "destinations[a].type"},
		{"dest bad type", "destinations:\n  - name: a\n    type: fax\n    url: https://x", "destinations[a].type"},
		{"dest no url", "destinations:\n  - name: a\n    type: teams", "destinations[a].url"},
		{"dest bad url", "destinations:\n  - name: a\n    type: slack\n    url: ftp://x/secret", "destinations[a].url"},
		{"backlog no key", "destinations:\n  - name: b\n    type: backlog\n    base_url: https://x.backlog.com\n    project_id: 1\n    issue_type_id: 2\n    priority_id: 3", "destinations[b].api_key_env"},
		{"backlog no project", "destinations:\n  - name: b\n    type: backlog\n    base_url: https://x.backlog.com\n    api_key_env: K\n    issue_type_id: 2\n    priority_id: 3", "destinations[b].project_id"},
		{"dup names", "destinations:\n  - {name: a, type: slack, url: 'https://x'}\n  - {name: a, type: slack, url: 'https://y'}", "destinations[1].name"},
		{"route unknown", "routes:\n  questions: [nowhere]", "routes.questions[0]"},
		{"too long question", "intake:\n  max_question_chars: 9000", "intake.max_question_chars"},
		{"account dotdot", "aws:\n  accounts: [{name: '..'}]", "aws.accounts[0].name"},
		{"account hidden", "aws:\n  accounts: [{name: .prod}]", "aws.accounts[0].name"},
		{"account dash", "aws:\n  accounts: [{name: -prod}]", "aws.accounts[0].name"},
		{"account slash", "aws:\n  accounts: [{name: a/b}]", "aws.accounts[0].name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil {
				t.Fatalf("no error for %q", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestURLSecretNotInError(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("destinations:\n  - name: a\n    type: slack\n    url: ftp://hooks.example/T000/SECRETTOKEN"))
	if err == nil || strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Fatalf("error leaks the URL path: %v", err)
	}
}

func TestFullExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../deploy/opsdesk.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data)
	if err != nil {
		t.Fatalf("the shipped example config does not load: %v", err)
	}
	if len(cfg.Routes.Questions) == 0 || len(cfg.Destinations) < 5 {
		t.Errorf("example should show every destination type: %+v", cfg.Destinations)
	}
}

func TestTrusted(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("trusted_proxies: [10.0.0.0/8, 127.0.0.1]"))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"10.1.2.3": true, "127.0.0.1": true, "127.0.0.2": false, "192.168.1.1": false} {
		if got := cfg.Trusted(mustAddr(t, addr)); got != want {
			t.Errorf("Trusted(%s) = %v", addr, got)
		}
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// FuzzParse checks that no configuration text panics the loader and that
// whatever it accepts is valid by its own rules.
func FuzzParse(f *testing.F) {
	f.Add([]byte("addr: 127.0.0.1:1\n"))
	f.Add([]byte("destinations:\n  - {name: a, type: slack, url: 'https://x'}\nroutes:\n  questions: [a]\n"))
	f.Add([]byte("deliveries: {retry_for: 1h}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config fails validation: %v", err)
		}
	})
}
