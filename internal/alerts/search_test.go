package alerts_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func TestParseSearch(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []alerts.SearchTerm
	}{
		{"", nil},
		{"  disk   full ", []alerts.SearchTerm{{Value: "disk"}, {Value: "full"}}},
		{`"disk full"`, []alerts.SearchTerm{{Value: "disk full"}}},
		{`host:web-1 ディスク`, []alerts.SearchTerm{{Value: "ディスク"}, {Field: "host", Value: "web-1"}}},
		{`HOST:"web 1"`, []alerts.SearchTerm{{Field: "host", Value: "web 1"}}},
		{`label:env=prod label:team`, []alerts.SearchTerm{{Field: "label", Key: "env", Value: "prod"}, {Field: "label", Key: "team"}}},
		{`-host:db1 -timeout`, []alerts.SearchTerm{{Value: "timeout", Not: true}, {Field: "host", Value: "db1", Not: true}}},
		// Not a field: an unknown prefix, a colon inside quotes, a URL.
		{`error: "a:b" https://x.example/p`, []alerts.SearchTerm{{Value: "error:"}, {Value: "a:b"}, {Value: "https://x.example/p"}}},
		{`"-literal"`, []alerts.SearchTerm{{Value: "-literal"}}},
		// Full-width letters and ideographic space are folded (NFKC).
		{"ｗｅｂ\u3000磁盘", []alerts.SearchTerm{{Value: "web"}, {Value: "磁盘"}}},
	} {
		got, err := alerts.ParseSearch(c.in)
		if err != nil {
			t.Errorf("ParseSearch(%q): %v", c.in, err)
			continue
		}
		if !slices.Equal(got.Terms, c.want) {
			t.Errorf("ParseSearch(%q) = %+v, want %+v", c.in, got.Terms, c.want)
		}
	}
	for in, msg := range map[string]string{
		"host:":                  "host: needs a value",
		"label:=x":               "needs a key",
		strings.Repeat("a ", 13): "at most 12",
		strings.Repeat("あ", 401): "longer than 400",
		"bad \xff":               "UTF-8",
	} {
		_, err := alerts.ParseSearch(in)
		var se *alerts.SearchError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "q: ") {
			t.Errorf("ParseSearch(%q) = %v, want a q: error with %q", in, err, msg)
		}
	}
}

func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"", "host:a b", `"x y" -label:k=v`, "label:", "-", `"`, "a:b:c", "ｗ\u3000x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := alerts.ParseSearch(s)
		if err != nil {
			return
		}
		for _, term := range q.Terms {
			if term.Field != "label" && term.Value == "" {
				t.Fatalf("%q: empty term %+v", s, term)
			}
			if term.Field == "label" && term.Key == "" {
				t.Fatalf("%q: label term without key", s)
			}
		}
	})
}

// TestSearchAlerts runs searches through GET /api/v1/alerts?q= on both
// engines against alerts in several languages.
func TestSearchAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		{
			a := newAPIEnv(t, st)
			sig := func(key, summary, host, service, severity string, labels map[string]string) parse.Signal {
				s := firing("web", key)
				s.Summary, s.Host, s.Service, s.Severity = summary, host, service, severity
				s.Labels = labels
				return s
			}
			a.ingest(
				sig("k1", "Disk full on /var", "web-1", "disk", parse.SeverityCritical, map[string]string{"env": "prod", "team": "infra"}),
				sig("k2", "ディスク使用率が 95% を超えました", "db-tokyo", "disk", parse.SeverityWarning, map[string]string{"env": "stg"}),
				sig("k3", "磁盘空间不足", "web-2", "存储", parse.SeverityCritical, map[string]string{"env": "Prod", "区域": "上海"}),
				sig("k4", "디스크 공간 부족 100%_used", "batch-1", "cron", parse.SeverityInfo, map[string]string{}),
			)
			get := func(q string) (*http.Response, error) {
				req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/v1/alerts?q="+url.QueryEscape(q), nil)
				req.Header.Set("Authorization", "Bearer "+goodToken)
				return http.DefaultClient.Do(req)
			}
			keys := func(q string) []string {
				t.Helper()
				res, err := get(q)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Fatalf("q=%q: status %d", q, res.StatusCode)
				}
				var body struct{ Alerts []alerts.AlertJSON }
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, x := range body.Alerts {
					out = append(out, x.DedupKey)
				}
				slices.Sort(out)
				return out
			}
			for q, want := range map[string][]string{
				"":                     {"k1", "k2", "k3", "k4"},
				"disk":                 {"k1", "k2"}, // service of k2
				"DISK FULL":            {"k1"},
				`"disk full"`:          {"k1"},
				"ディスク":                 {"k2"},
				"磁盘":                   {"k3"},
				"上海":                   {"k3"}, // a label value
				"디스크":                  {"k4"},
				"95%":                  {"k2"}, // % is literal, not a wildcard
				"0%_":                  {"k4"},
				"%":                    {"k2", "k4"},
				"_":                    {"k4"},
				"web":                  {"k1", "k3"}, // hosts; the system's name is not searched
				"host:web-1":           {"k1"},
				"host:WEB":             {},
				"host:WEB-1":           {"k1"},
				"service:存储":           {"k3"},
				"severity:critical":    {"k1", "k3"},
				"label:env=prod":       {"k1", "k3"}, // case folded
				"label:env":            {"k1", "k2", "k3"},
				"-label:env":           {"k4"},
				"-label:env=prod":      {"k2", "k4"},
				"label:区域=上海":          {"k3"},
				"disk -host:web-1":     {"k2"},
				"status:open":          {"k1", "k2", "k3", "k4"},
				"status:resolved":      {},
				"nothing-matches-this": {},
			} {
				got := keys(q)
				if want == nil {
					want = []string{}
				}
				if got == nil {
					got = []string{}
				}
				if !slices.Equal(got, want) {
					t.Errorf("q=%q: got %v, want %v", q, got, want)
				}
			}
			res, err := get("host:")
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error, Field string }
			json.NewDecoder(res.Body).Decode(&e)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || e.Field != "q" || !strings.Contains(e.Error, "host: needs a value") {
				t.Errorf("bad search: %d %+v", res.StatusCode, e)
			}
		}
	})
}
