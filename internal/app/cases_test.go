package app_test

import (
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestCaseSyncJob starts opsdesk with an AWS account pointed at the fake
// Support API and checks that the periodic job archives every case with
// all its messages, on both engines.
func TestCaseSyncJob(t *testing.T) {
	f := fake.NewSupport(t)
	data := fake.SupportGen{Cases: 120, Seed: 11, NoAttachments: true}.Generate()
	f.Load(data)
	want := 0
	for _, c := range data {
		want += len(c.Communications)
	}
	// The SDK's default credential chain reads the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", f.AccessKeyID())
	t.Setenv("AWS_SECRET_ACCESS_KEY", f.SecretAccessKey())
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
aws:
  accounts:
    - {name: prod, languages: [en, ja, zh, ko]}
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{"AWS_ENDPOINT_URL_SUPPORT": f.URL()})
			deadline := time.Now().Add(60 * time.Second)
			for {
				var n, msgs, waiting int
				_ = s.App.St.R.QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
				_ = s.App.St.R.QueryRow(`SELECT count(*) FROM case_communications`).Scan(&msgs)
				_ = s.App.St.R.QueryRow(`SELECT count(*) FROM cases WHERE needs_comms = 1`).Scan(&waiting)
				if n == len(data) && msgs == want && waiting == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 60s: %d/%d cases, %d/%d messages, %d cases waiting", n, len(data), msgs, want, waiting)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
