package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/events"
	"github.com/opsdesk/opsdesk/internal/events/payload"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// The tests of this file walk the console as a new user meets it
// (issue 11, points 10 to 15).

// withEvents gives the handler the event intake with the built-in rules.
func withEvents(st *store.Store, svc **events.Service) func(*Handler) {
	return func(h *Handler) {
		s, err := events.New(st, h.queue, events.Options{Rules: events.Builtin(nil), Now: h.now, HasDestination: h.cfg.HasDestination})
		if err != nil {
			panic(err)
		}
		*svc = s
		h.events = s
		h.panels = append(h.panels, h.eventPanels()...)
	}
}

// ingestSample stores one of the samples `opsdesk events sample` prints
// and runs its actions with exec (nil executors: nothing is set up).
func ingestSample(t *testing.T, svc *events.Service, name string, exec *events.Executors) int64 {
	t.Helper()
	ctx := context.Background()
	body, err := samples.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := payload.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Ingest(ctx, b, "api")
	if err != nil {
		t.Fatal(err)
	}
	ref := res.Events[0].Ref
	w := &events.ActionsWorker{Svc: svc, Exec: exec, Log: slog.New(slog.DiscardHandler)}
	if err := w.Work(ctx, &river.Job[events.ActionsArgs]{Args: events.ActionsArgs{EventRef: ref}}); err != nil {
		t.Fatalf("actions of %s: %v", name, err)
	}
	return ref
}

// TestNoDestinationsSaysSo (point 10): with no destination routed for
// questions, the public form and its thank-you page do not promise that
// anyone receives the question, and Home warns the operators with the
// fix instead of saying all is clear. With destinations, all is as before.
func TestNoDestinationsSaysSo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		bare := newEnv(t, st, "trusted_proxies: [127.0.0.1]\n")
		bare.addUser("alice", auth.RoleAdmin)
		pub := bare.browser("198.51.100.20")
		r := pub.get("/ask?lang=en")
		r.want(t, http.StatusOK, "Your question is stored here for the organisers.")
		r.wantNot(t, "goes straight to the instructors")
		r = pub.post("/ask", url.Values{"question": {"Where are the slides?"}, "lang": {"en"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("ask: %d %s", r.status, r.body)
		}
		thanks := r.loc
		r = pub.get(thanks)
		r.want(t, http.StatusOK, "It has been stored for the organisers.")
		r.wantNot(t, "will receive it shortly")
		r = pub.get(strings.Replace(thanks, "lang=en", "lang=ja", 1))
		r.want(t, http.StatusOK, "質問は主催者向けに保存されました。")
		r.wantNot(t, "まもなく講師に届きます")

		b := bare.browser("")
		b.login("alice")
		r = b.get("/?lang=en")
		r.want(t, http.StatusOK, `id="warn-no-routes"`, "Questions are stored but sent nowhere: no destination is configured.",
			"url_env: TEAMS_WEBHOOK_URL", "questions: [instructors]", `href="/destinations"`, "deploy/opsdesk.example.yaml")
		r.wantNot(t, "All clear", `class="attention"`)
		b.get("/?lang=ko").want(t, http.StatusOK, "전송 대상이 설정되어 있지 않습니다")

		// Destinations, but none routed for questions.
		unrouted := newEnv(t, st, "destinations:\n  - {name: ops, type: slack, url_env: SLACK_URL}\n  - {name: hook, type: webhook, url_env: HOOK_URL}\n")
		unrouted.addUser("bob", auth.RoleAdmin)
		b = unrouted.browser("")
		b.login("bob")
		r = b.get("/?lang=en")
		r.want(t, http.StatusOK, "routes.questions names no destination", "questions: [ops, hook]")
		r.wantNot(t, "All clear")

		// Routed: the form promises delivery, Home is all clear.
		routed := newEnv(t, st, testConfig)
		routed.addUser("carol", auth.RoleAdmin)
		pub = routed.browser("198.51.100.21")
		pub.get("/ask?lang=en").want(t, http.StatusOK, "goes straight to the instructors")
		q := routed.submit("", "routed question")
		pub.get("/ask/thanks?lang=en&ref="+q.Ref).want(t, http.StatusOK, "The instructors will receive it shortly.")
		b = routed.browser("")
		b.login("carol")
		r = b.get("/?lang=en")
		r.want(t, http.StatusOK, "All clear")
		r.wantNot(t, "warn-no-routes")
	})
}

// TestBuiltinRulesSkipWhatIsNotSetUp (point 11): the README's event
// samples on an opsdesk without AWS accounts or a default system. The
// built-in rules skip their actions, the event page and the rule pages
// say why, and Home stays green.
func TestBuiltinRulesSkipWhatIsNotSetUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var svc *events.Service
		e := newEnv(t, st, testConfig, withEvents(st, &svc))
		e.addUser("alice", auth.RoleAdmin)
		// Nothing is set up: every executor is missing, as in an opsdesk
		// without aws.accounts and alerts.
		support := ingestSample(t, svc, "support-case-update", &events.Executors{})
		alarm := ingestSample(t, svc, "alarm-state-change", &events.Executors{})

		b := e.browser("")
		b.login("alice")
		r := b.get("/?lang=en")
		r.want(t, http.StatusOK, "AWS events", "All clear")
		r.wantNot(t, "whose actions failed", `class="attention"`)

		r = b.get("/events/" + itoa(support) + "?lang=en")
		r.want(t, http.StatusOK, `<span class="badge ev-stored">skipped</span>`, "no AWS account is configured (aws.accounts)",
			`<p class="crumbs"><a href="/events">← Events</a></p>`)
		r.wantNot(t, "badge failed")
		b.get("/events/"+itoa(alarm)+"?lang=en").want(t, http.StatusOK, "skipped", "alerts.default_system is not set")
		b.get("/events/"+itoa(support)+"?lang=ja").want(t, http.StatusOK, "スキップ", "AWS アカウント（aws.accounts）が設定されていない")
		b.get("/events/rules/aws-support-case-update?lang=en").want(t, http.StatusOK, `class="skip-note"`, "Skipped here: no AWS account is configured")
		r = b.get("/events/rules?lang=en")
		r.want(t, http.StatusOK, "Skipped here: no AWS account is configured", "alerts.default_system is not set")
		if n := strings.Count(r.body, `class="skip-note"`); n != 2 {
			t.Errorf("rules page: %d skip notes, want 2 (case sync, alarm)", n)
		}
		// The built-in rules' descriptions in the page's language (point 15).
		for lang, want := range map[string]string{
			"ja": "AWS サポートケースの作成・回答・解決・再オープン",
			"zh": "AWS 支持案例被创建、答复、解决或重新开启",
			"ko": "AWS Support 사례가 생성·답변·해결·재개됨",
		} {
			r = b.get("/events/rules?lang=" + lang)
			r.want(t, http.StatusOK, want)
			r.wantNot(t, "AWS Support case created, answered", "CloudWatch alarm state change:", "Amazon Connect contact event:")
			b.get("/events/rules/aws-support-case-update?lang="+lang).want(t, http.StatusOK, want)
		}
		for _, ref := range []int64{support, alarm} {
			if ev, err := svc.Get(context.Background(), ref); err != nil || ev.Status != events.StatusDone {
				t.Errorf("event %d: %+v %v; want done", ref, ev, err)
			}
		}
	})
	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		st := storetest.New(t, store.SQLite)
		var svc *events.Service
		e := newEnv(t, st, testConfig+"aws:\n  accounts:\n    - {name: prod}\nalerts:\n  default_system: billing\n", withEvents(st, &svc))
		e.addUser("alice", auth.RoleAdmin)
		b := e.browser("")
		b.login("alice")
		b.get("/events/rules?lang=en").wantNot(t, `class="skip-note"`)
	})
}

// TestRuleEditor (point 12): the new-rule form starts with actions that
// save as they are, lists the destinations a notify action may name, and
// its name field's pattern says what the server accepts.
func TestRuleEditor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for _, tc := range []struct {
			name, yaml string
			want       []string
		}{
			{"no destinations", "", []string{`{&#34;type&#34;: &#34;store&#34;}`, "No destination is configured, so a notify action cannot be saved yet"}},
			{"destinations", testConfig, []string{`&#34;destination&#34;: &#34;teams&#34;`, "Destinations a notify action can name:",
				"<li><code>teams</code> <span class=\"muted\">(teams)</span></li>", "<code>backlog</code>", "<code>slack</code>"}},
		} {
			var svc *events.Service
			e := newEnv(t, st, tc.yaml, withEvents(st, &svc))
			user := strings.ReplaceAll(tc.name, " ", "-")
			e.addUser(user, auth.RoleAdmin)
			b := e.browser("")
			b.login(user)
			r := b.get("/events/rules/new?lang=en")
			r.want(t, http.StatusOK, tc.want...)
			r.wantNot(t, "ops-slack")
			r.want(t, http.StatusOK, `pattern="`+ruleNamePattern+`"`,
				`<label class="check" for="enabled"><input type="checkbox" id="enabled" name="enabled" value="1" checked> Enabled</label>`,
				`class="field test-box"`)
			// Saving the form as it came, with a name, works.
			form := url.Values{"csrf": {b.csrf()}, "new": {"1"}, "op": {"save"}, "name": {user + "-rule"}, "enabled": {"1"},
				"pattern": {formValue(t, r.body, "pattern")}, "actions": {formValue(t, r.body, "actions")}}
			if s := b.post("/events/rules", form); s.status != http.StatusSeeOther {
				t.Fatalf("%s: saving the new-rule form unchanged: %d\n%s", tc.name, s.status, s.body)
			}
			ru, err := svc.Rule(context.Background(), user+"-rule")
			if err != nil || len(ru.Actions) != 1 {
				t.Fatalf("%s: saved rule %+v %v", tc.name, ru, err)
			}
		}
	})
}

// formValue is the text of the textarea named name, unescaped.
func formValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<textarea[^>]* name="` + name + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no textarea %s", name)
	}
	r := strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&#43;", "+")
	return r.Replace(m[1])
}

// TestRuleNamePattern: the HTML pattern of rule names accepts what
// config.ValidateName accepts, and nothing else.
func TestRuleNamePattern(t *testing.T) {
	t.Parallel()
	// Browsers anchor a pattern: ^(?:pattern)$.
	re := regexp.MustCompile(`^(?:` + ruleNamePattern + `)$`)
	for _, name := range []string{"a", "big-uploads", "s3.put_v2", "_private", "9lives", "a-", "x.y-z_", "-lead", ".hidden", "has space", "日本", "a/b", "a\\b", "a[b]", "a–b"} {
		want := config.ValidateName(name) == nil
		if got := re.MatchString(name); got != want {
			t.Errorf("%q: pattern says %v, ValidateName says %v", name, got, want)
		}
	}
	if !strings.Contains(ruleNamePattern, `\-`) {
		t.Error("the '-' in the class is not escaped: an invalid pattern under the v flag")
	}
}

// TestChatSetupAndNotFound (point 13): /chat without chat-ops shows how to
// set it up; a page that does not exist keeps the console's navigation
// for a logged-in user.
func TestChatSetupAndNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "")
		e.addUser("alice", auth.RoleAdmin)
		b := e.browser("")
		if r := b.get("/chat"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Fatalf("/chat logged out: %d %s", r.status, r.loc)
		}
		r := b.get("/nope?lang=en")
		r.want(t, http.StatusNotFound, "Page not found")
		r.wantNot(t, `<nav class="nav"`)
		b.login("alice")
		r = b.get("/chat?lang=en")
		r.want(t, http.StatusOK, "Chat-ops is not set up.", e.srv.URL+"/hooks/dingtalk", e.srv.URL+"/hooks/slack/commands",
			"app_secret_env: DINGTALK_APP_SECRET", "signing_secret_env: SLACK_SIGNING_SECRET", "docs/chatops.md", `<nav class="nav"`)
		b.get("/chat?lang=zh").want(t, http.StatusOK, "尚未设置聊天运维。")
		for _, p := range []string{"/nope", "/alerts/nope/deeper", "/events/rules/x/y"} {
			r = b.get(p + "?lang=en")
			r.want(t, http.StatusNotFound, "Page not found", `<nav class="nav"`, `href="/questions"`, `<form method="post" action="/logout"`)
		}
		// The public side's 404 stays public.
		b.get("/ask/nope?lang=en").wantNot(t, `<nav class="nav"`)
	})
}

// TestConsoleTimeZone (point 14): times are written in the server's zone
// with its name; a zone without an abbreviation gets its offset.
func TestConsoleTimeZone(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	jst := time.FixedZone("JST", 9*3600)
	e := newEnv(t, st, testConfig, func(h *Handler) { h.loc = jst })
	e.addUser("alice", auth.RoleAdmin)
	q := e.submit("", "when was this?")
	b := e.browser("")
	b.login("alice")
	want := q.SubmittedAt.In(jst).Format("2006-01-02 15:04:05") + " JST"
	b.get("/questions/"+q.Ref).want(t, http.StatusOK, want)
	b.get("/questions").want(t, http.StatusOK, `title="`+q.SubmittedAt.UTC().Format("2006-01-02 15:04:05")+` UTC">`+want+`</time>`)

	at := time.Date(2025, 3, 14, 3, 0, 5, 0, time.UTC)
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "2025-03-14 03:00:05 UTC"},
		{jst, "2025-03-14 12:00:05 JST"},
		{time.FixedZone("+0530", 5*3600+1800), "2025-03-14 08:30:05 UTC+05:30"},
		{time.FixedZone("-03", -3*3600), "2025-03-14 00:00:05 UTC-03:00"},
		{time.FixedZone("", 0), "2025-03-14 03:00:05 UTC+00:00"},
	} {
		if got := clockText(at, tc.loc); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.loc, got, tc.want)
		}
	}
	if clockText(time.Time{}, jst) != "" {
		t.Error("a zero time is not written")
	}
}
