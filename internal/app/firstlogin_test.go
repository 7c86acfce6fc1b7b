package app_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestFirstLogin: the password printed at the first start logs in to the
// password page only; after choosing one's own the console opens.
func TestFirstLogin(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			cfg, err := config.Parse([]byte("database: " + storetest.DatabaseURL(t, engine) + "\ndata_dir: " + t.TempDir() + "\nlog_level: error\n"))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.StartFirstRun(t, cfg, nil)
			if s.Password == "" {
				t.Fatal("no password printed at the first start")
			}
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			get := func(path string) (*http.Response, string) {
				t.Helper()
				resp, err := c.Get(s.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			post := func(path string, form url.Values) (*http.Response, string) {
				t.Helper()
				resp, err := c.PostForm(s.URL+path, form)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			resp, body := post("/login", url.Values{"name": {"admin"}, "password": {s.Password}})
			if resp.Request.URL.Path != "/password" || !strings.Contains(body, "one-time password") {
				t.Fatalf("first login landed on %s (%d)", resp.Request.URL, resp.StatusCode)
			}
			if resp, _ := get("/alerts"); resp.Request.URL.Path != "/password" {
				t.Errorf("/alerts before the change: %s", resp.Request.URL)
			}
			csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
			resp, body = post("/password", url.Values{"csrf": {csrf}, "current": {s.Password}, "new": {"chosen by the admin"}, "again": {"chosen by the admin"}})
			if resp.StatusCode != 200 || resp.Request.URL.Path != "/" || !strings.Contains(body, "Your password has been changed.") {
				t.Fatalf("after the change: %d %s", resp.StatusCode, resp.Request.URL)
			}
			if resp, _ := get("/alerts"); resp.StatusCode != 200 || resp.Request.URL.Path != "/alerts" {
				t.Errorf("/alerts after the change: %d %s", resp.StatusCode, resp.Request.URL)
			}
		})
	}
}
