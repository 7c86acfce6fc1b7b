package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/fake"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func errcode(t *testing.T, body string) int {
	t.Helper()
	var ans struct {
		ErrCode int `json:"errcode"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return ans.ErrCode
}

func TestDingTalkSession(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1700000000, 0)}
	f := fake.NewDingTalkSession(t, fake.WithClock(clk.now))
	u := f.Open("cidA", clk.t.Add(90*time.Minute))
	if !strings.HasPrefix(u, f.BaseURL()+"/robot/sendBySession?session=") {
		t.Fatalf("url %s", u)
	}
	const jsonCT = "application/json;charset=utf-8"
	for _, tt := range []struct {
		name, ct, body string
		code           int
	}{
		{"text", jsonCT, `{"msgtype":"text","text":{"content":"你好"}}`, 0},
		{"markdown", jsonCT, `{"msgtype":"markdown","markdown":{"title":"t","text":"**x**"}}`, 0},
		{"no content", jsonCT, `{"msgtype":"text","text":{}}`, fake.DingTalkMissingParam},
		{"no msgtype", jsonCT, `{"text":{"content":"x"}}`, fake.DingTalkMissingParam},
		{"bad msgtype", jsonCT, `{"msgtype":"card"}`, fake.DingTalkInvalidMsgType},
		{"not json", jsonCT, `{`, fake.DingTalkMissingParam},
		{"form", "application/x-www-form-urlencoded", `a=b`, fake.DingTalkBadContentType},
	} {
		status, _, body := post(t, u, tt.ct, tt.body)
		if status != http.StatusOK || errcode(t, body) != tt.code {
			t.Errorf("%s: %d %s, want errcode %d", tt.name, status, body, tt.code)
		}
	}
	got := f.MessagesTo(u)
	if len(got) != 2 || got[0].Text != "你好" || got[0].Conversation != "cidA" || got[1].MsgType != "markdown" || got[1].Title != "t" {
		t.Fatalf("messages %+v", got)
	}
	if n := len(f.MessagesIn("cidA")); n != 2 {
		t.Fatalf("MessagesIn: %d", n)
	}
	// Unknown and expired sessions are refused.
	if _, _, body := post(t, f.BaseURL()+"/robot/sendBySession?session=nope", jsonCT, `{"msgtype":"text","text":{"content":"x"}}`); errcode(t, body) != fake.DingTalkSessionUnknown {
		t.Fatalf("unknown session: %s", body)
	}
	clk.t = clk.t.Add(90 * time.Minute)
	if _, _, body := post(t, u, jsonCT, `{"msgtype":"text","text":{"content":"late"}}`); errcode(t, body) != fake.DingTalkSessionExpired {
		t.Fatalf("expired session: %s", body)
	}
	if f.Count() != 2 {
		t.Fatalf("accepted %d", f.Count())
	}
}

// The callback helper signs as DingTalk does: the receiving side's
// verifier (written separately) accepts it, and only with the right
// secret.
func TestDingTalkCallbackRequest(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(1577262236757)
	cb := fake.DingTalkCallback{MsgID: "msg1", Text: "帮助", SenderStaffID: "s1", SenderNick: "张三", ConversationID: "cid1",
		ConversationTitle: "群", SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=x", SessionExpires: at.Add(time.Hour), IsInAtList: true, CreateAt: at}
	req := cb.Request("http://127.0.0.1:1/hooks/dingtalk", "this is secret", at)
	if ts := req.Header.Get("timestamp"); ts != strconv.FormatInt(at.UnixMilli(), 10) {
		t.Fatalf("timestamp %s", ts)
	}
	// The known answer of DingTalk's documented example.
	if s := req.Header.Get("sign"); s != "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=" {
		t.Fatalf("sign %s", s)
	}
	if err := sig.VerifyDingTalk("this is secret", req.Header.Get("timestamp"), req.Header.Get("sign"), at); err != nil {
		t.Fatalf("does not verify: %v", err)
	}
	if err := sig.VerifyDingTalk("other secret", req.Header.Get("timestamp"), req.Header.Get("sign"), at); err == nil {
		t.Fatal("verifies with another secret")
	}
	b, _ := io.ReadAll(req.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	text, _ := m["text"].(map[string]any)
	if m["msgId"] != "msg1" || text["content"] != "帮助" || m["senderStaffId"] != "s1" || m["conversationType"] != "2" ||
		m["sessionWebhookExpiredTime"] != float64(at.Add(time.Hour).UnixMilli()) || m["isInAtList"] != true || m["msgtype"] != "text" {
		t.Fatalf("body %v", m)
	}
}
