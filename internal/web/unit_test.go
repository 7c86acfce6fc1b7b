package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/intake"
)

func TestAcceptLanguage(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"":                               "",
		"ja":                             "ja",
		"ja-JP,ja;q=0.9,en-US;q=0.8":     "ja",
		"en-US,en;q=0.9,ja;q=0.8":        "en",
		"fr-CH, fr;q=0.9, ko;q=0.7, *":   "ko",
		"zh-Hant-TW;q=0.4, ko;q=0.3":     "zh",
		"zh_CN":                          "zh",
		"de, ja;q=0, ko;q=0.1":           "ko",
		"KO-kr":                          "ko",
		"fr, de":                         "",
		"ja;q=0.5, zh;q=0.5":             "ja",
		"en;q=0.2, ja;q=garbage, ko;q=1": "ko",
	} {
		if got := acceptLanguage(header); got != want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/":                        "/",
		"/questions?status=failed": "/questions?status=failed",
		"/questions/Q-ABC":         "/questions/Q-ABC",
		"":                         "",
		"questions":                "",
		"//evil.example":           "",
		"/\\evil.example":          "",
		"https://evil.example/":    "",
		"/a\r\nb":                  "",
		"/a\tb":                    "",
		"javascript:alert(1)":      "",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCatalogComplete: every message exists in every language with the
// same formatting verbs, and every key a template or Go file asks for is
// in the catalog.
func TestCatalogComplete(t *testing.T) {
	t.Parallel()
	verbs := regexp.MustCompile(`%(\[\d\])?[dsv]`)
	for key, m := range catalog {
		want := len(verbs.FindAllString(m[0], -1))
		for i, s := range m {
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s text", key, languages[i].Tag)
			}
			if got := len(verbs.FindAllString(s, -1)); got != want {
				t.Errorf("%s (%s): %d format verbs, English has %d", key, languages[i].Tag, got, want)
			}
		}
	}
	used := map[string]bool{}
	keyRE := regexp.MustCompile(`\.TN? "([a-z0-9_.]+)"`)
	err := fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goKeyRE := regexp.MustCompile(`\bp\.TN?\("([a-z0-9_.]+)"[,)]`)
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) < 10 {
		t.Fatalf("source files: %v %v", files, err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := readSource(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKeyRE.FindAllStringSubmatch(b, -1) {
			used[m[1]] = true
		}
	}
	for _, n := range []string{"retried", "not_retried", "logged_out", "sync_queued", "sync_no_accounts", "event_replayed", "rule_saved", "rule_deleted"} {
		if !isNotice(n) {
			t.Errorf("notice %q has no text", n)
		}
	}
	for _, s := range []string{"pending", "delivered", "failed"} {
		used["status."+s] = true
	}
	for _, s := range caseStatuses {
		used["case_status."+s] = true
	}
	for _, s := range caseSeverities {
		used["severity."+s] = true
	}
	for _, s := range []string{"minutes", "hours", "days"} {
		used["unit."+s] = true
	}
	for _, s := range alertSources {
		used["alerts.source."+s] = true
	}
	for _, s := range append(alertSeverities, "unspecified") {
		used["alerts.severity."+s] = true
	}
	for _, k := range builtinRuleTexts {
		used[k] = true
	}
	for _, g := range gaveUpReasons {
		used[g.key] = true
	}
	// A count's singular ("_one") goes with a text for any count, and
	// takes no argument.
	for k, m := range catalog {
		base, ok := strings.CutSuffix(k, "_one")
		if !ok {
			continue
		}
		_, plain := catalog[base]
		_, n := catalog[base+"_n"] // cases.messages_n, cases.messages_one
		if !plain && !n {
			t.Errorf("%s has no %s", k, base)
		}
		for i, s := range m {
			if verbs.MatchString(s) {
				t.Errorf("%s (%s): %q takes an argument; a singular says its number", k, languages[i].Tag, s)
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in use; the pattern is broken", len(used))
	}
	for k := range used {
		if _, ok := catalog[k]; !ok {
			t.Errorf("key %q is used but not in the catalog", k)
		}
	}
}

func TestFieldMessages(t *testing.T) {
	t.Parallel()
	// The intake's English messages, as its Normalize produces them.
	d := askData{MaxChars: 50, MaxProject: intake.MaxProject, MaxName: intake.MaxName}
	for _, tc := range []struct {
		in   intake.Input
		lang string
		want string
	}{
		{intake.Input{}, "ja", "質問内容を入力してください。"},
		{intake.Input{Question: strings.Repeat("x", 51)}, "en", "This is 51 characters long; the limit is 50."},
		{intake.Input{Project: strings.Repeat("p", 101), Question: "q"}, "ko", "현재 101자입니다. 100자 이내로 줄여 주세요."},
		{intake.Input{Question: "\xff"}, "zh", "无效的 UTF-8"},
		{intake.Input{Question: "a\x00"}, "en", "invisible control characters"},
		{intake.Input{Name: "a\nb", Question: "q"}, "en", "single line"},
	} {
		err := tc.in.Normalize(50)
		fe, ok := err.(*intake.FieldError)
		if !ok {
			t.Fatalf("%+v: %v", tc.in, err)
		}
		got := fieldMessage(&page{Lang: tc.lang}, fe, d)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s %q → %q, want %q", tc.lang, fe.Msg, got, tc.want)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(`
destinations:
  - name: hook
    type: webhook
    url: https://hooks.example.com/services/T000/B000/XXXXSECRET?token=abcdef123
  - name: short
    type: slack
    url: https://slack.example.com/x
`))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{cfg: cfg}
	for in, want := range map[string]string{
		`Post "https://hooks.example.com/services/T000/B000/XXXXSECRET?token=abcdef123": timeout`: `Post "…": timeout`,
		"token abcdef123 rejected":                          "token … rejected",
		"path /services/T000/B000/XXXXSECRET was not found": "path … was not found",
		"HTTP 500 /x": "HTTP 500 /x",
		"":            "",
	} {
		if got := h.scrub(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuestionURL(t *testing.T) {
	t.Parallel()
	if got := QuestionURL("https://desk.example.com/", "Q-ABCDEFGH"); got != "https://desk.example.com/questions/Q-ABCDEFGH" {
		t.Errorf("got %q", got)
	}
	if got := QuestionURL("", "Q-ABCDEFGH"); got != "" {
		t.Errorf("got %q", got)
	}
}

func readSource(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}
