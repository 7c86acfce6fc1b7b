package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/chatops"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestChatPage: the audit log of chat commands with its filters, the
// messages that could not be sent, the nav link and the home panel.
func TestChatPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, testConfig+"chat:\n  dingtalk:\n    app_secret_env: DT_SECRET\n  slack:\n    signing_secret_env: SLACK_SECRET\n", func(h *Handler) {
			h.chat = chatops.NewStore(st, h.now)
			h.panels = append(h.panels, h.chatPanels()...)
		})
		e.addUser("victor", auth.RoleViewer)
		b := e.browser("")
		if r := b.get("/chat"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Fatalf("/chat without login: %d %s", r.status, r.loc)
		}
		b.login("victor")
		b.get("/chat?lang=en").want(t, http.StatusOK, "No command has been received yet.", "POST "+e.srv.URL+"/hooks/dingtalk", "POST "+e.srv.URL+"/hooks/slack/commands", `href="/chat" aria-current="page"`)

		now := time.Now().UTC()
		ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
		e.exec(`INSERT INTO chat_audit (platform, msg_id, received_at, sender_id, sender_name, conversation_id, conversation_title, kind, text, result, detail, case_id, finished_at)
			VALUES ('dingtalk', 'm1', ?, 'staff1', '张三', 'cidOps', '运维群', 'create', ?, 'ok', 'created case-1', 'case-123456789012-muen-2026-0123456789abcdef', ?)`,
			ms(-2*time.Hour), "提工单\nsubject: <script>alert(1)</script>", ms(-2*time.Hour))
		e.exec(`INSERT INTO chat_audit (platform, msg_id, received_at, sender_id, sender_name, conversation_id, kind, text, result, detail)
			VALUES ('slack', 't1', ?, 'U1', 'bob', 'C1', 'search', 'search 障害', 'invalid', 'command search: words: missing')`, ms(-time.Hour))
		e.exec(`INSERT INTO chat_audit (platform, msg_id, received_at, sender_id, conversation_id, kind, text, result, detail)
			VALUES ('dingtalk', 'm2', ?, 'intern', 'cidOps', 'resolve', 'resolve 1', 'forbidden', 'not in chat.dingtalk.allow.resolve')`, ms(-time.Minute))
		var ref int64
		if err := st.R.QueryRow(`SELECT id FROM chat_audit WHERE msg_id = 'm1'`).Scan(&ref); err != nil {
			t.Fatal(err)
		}
		e.exec(`INSERT INTO chat_outbox (queue, kind, target, payload, dedup, audit_ref, status, attempts, not_before, route, last_error, created_at)
			VALUES ('dingtalk:cidOps', 'dingtalk', '{}', '{}', 'reply:dingtalk:m1', ?, 'failed', 3, 0, 'webhook', 'dingtalk: errcode 310000: sign not match', ?)`, ref, ms(-time.Hour))

		r := b.get("/chat?lang=en")
		r.want(t, http.StatusOK, "Create case", "张三 (staff1)", "运维群 (cidOps)", "reply not sent", "errcode 310000: sign not match",
			"&lt;script&gt;alert(1)&lt;/script&gt;", "/cases/case-123456789012-muen-2026-0123456789abcdef", "Search", "Malformed", "Not allowed",
			"Messages that could not be sent (1)")
		r.wantNot(t, "<script>alert(1)")
		// Newest first.
		if i, j := strings.Index(r.body, "Not allowed"), strings.Index(r.body, "张三 (staff1)"); i < 0 || j < 0 || i > j {
			t.Fatalf("order: forbidden at %d, create at %d", i, j)
		}
		for _, tt := range []struct {
			q         string
			want, not string
		}{
			{"platform=slack", "bob (U1)", "张三"},
			{"result=forbidden", "intern", "bob"},
			{"kind=create", "张三", "intern"},
			{"q=STAFF1", "张三", "intern"},
			{"q=障害", "bob", "张三"},
			{"from=" + now.Add(-24*time.Hour).Format("2006-01-02") + "&to=" + now.Add(24*time.Hour).Format("2006-01-02"), "intern", "No command matches"},
			{"from=" + now.Add(48*time.Hour).Format("2006-01-02"), "No command matches", "intern"},
		} {
			r := b.get("/chat?lang=en&" + tt.q)
			r.want(t, http.StatusOK, tt.want)
			r.wantNot(t, tt.not)
		}
		b.get("/chat?lang=en&from=yesterday").want(t, http.StatusOK, "yesterday")
		b.get("/chat?lang=en&platform=irc&q=nobody").want(t, http.StatusOK, "No command matches these filters.")
		// Japanese labels.
		b.get("/chat?lang=ja").want(t, http.StatusOK, "チャットコマンド", "ケース作成", "権限なし")
		// Home: the panel, and the failed reply needs attention.
		b.get("/?lang=en").want(t, http.StatusOK, "Chat commands", "1 chat message could not be sent", "All chat commands")
	})
}

// TestChatCatalog: every key the chat page and panel use (chat.go and its
// templates) is in the catalog in all four languages.
func TestChatCatalog(t *testing.T) {
	t.Parallel()
	src, err := readSource("chat.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"chat.title", "chat.panel.title", "chat.panel.all", "chat.panel.failed", "chat.reply.sent", "chat.reply.failed", "chat.reply.pending"} {
		if !strings.Contains(src, `"`+k+`"`) {
			t.Errorf("%s is not used in chat.go", k)
		}
	}
	for _, list := range [][]string{chatPlatforms, chatKinds, chatResults} {
		for _, v := range list {
			found := false
			for _, prefix := range []string{"chat.platform.", "chat.kind.", "chat.result."} {
				if _, ok := catalog[prefix+v]; ok {
					found = true
				}
			}
			if !found {
				t.Errorf("no label for %q", v)
			}
		}
	}
	for k, m := range chatCatalog {
		for i, s := range m {
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s has no %s text", k, languages[i].Tag)
			}
		}
	}
}
