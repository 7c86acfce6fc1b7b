package chatops

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/opsdesk/opsdesk/internal/chatops/sig"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/jobs"
)

// spyQueue records inserted jobs.
type spyQueue struct {
	mu   sync.Mutex
	args []river.JobArgs
	fail error
}

func (q *spyQueue) Insert(_ context.Context, a river.JobArgs, _ *river.InsertOpts) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return false, q.fail
	}
	q.args = append(q.args, a)
	return true, nil
}
func (q *spyQueue) InsertMany(context.Context, []river.InsertManyParams) error { return nil }
func (q *spyQueue) Start(context.Context) error                                { return nil }
func (q *spyQueue) Stop(context.Context) error                                 { return nil }
func (q *spyQueue) Stats(context.Context) ([]jobs.Stat, error)                 { return nil, nil }
func (q *spyQueue) inserted() []river.JobArgs {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]river.JobArgs(nil), q.args...)
}

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const appSecret = "dingtalk-app-secret-for-tests"

func TestDecodeCallback(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(1700000000000)
	good := fake.DingTalkCallback{
		MsgID: "msgABC==", Text: " 查询case:12345", SenderStaffID: "staff1", SenderNick: "张三",
		ConversationID: "cidGroup1", ConversationTitle: "运维群", SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=abc",
		SessionExpires: at.Add(time.Hour), IsInAtList: true, CreateAt: at,
	}
	c, err := DecodeCallback(good.Body())
	if err != nil {
		t.Fatal(err)
	}
	if c.MsgID != "msgABC==" || c.Text.Content != " 查询case:12345" || c.Sender() != "staff1" || c.SenderNick != "张三" ||
		c.ConversationID != "cidGroup1" || c.ConversationType != "2" || c.ConversationTitle != "运维群" || !c.IsInAtList ||
		c.SessionWebhook != good.SessionWebhook || c.SessionWebhookExpiredTime != at.Add(time.Hour).UnixMilli() {
		t.Fatalf("decoded %+v", c)
	}
	noStaff := good
	noStaff.SenderStaffID = ""
	noStaff.SenderID = "$:LWCP_v1:$xyz"
	if c, err := DecodeCallback(noStaff.Body()); err != nil || c.Sender() != "$:LWCP_v1:$xyz" {
		t.Fatalf("sender fallback: %v %v", c, err)
	}
	pic := good
	pic.MsgType = "picture"
	if c, err := DecodeCallback(pic.Body()); err != nil || c.Text.Content != "" {
		t.Fatalf("picture: %q %v", c.Text.Content, err)
	}
	bad := map[string]string{
		"not json":         `{"msgId": `,
		"no msgId":         `{"msgtype":"text","text":{"content":"hi"}}`,
		"trailing":         `{"msgId":"m1"} {"msgId":"m2"}`,
		"wrong type":       `{"msgId":"m1","text":"hi"}`,
		"http session":     `{"msgId":"m1","sessionWebhook":"http://evil.example.com/x"}`,
		"file session":     `{"msgId":"m1","sessionWebhook":"file:///etc/passwd"}`,
		"negative expiry":  `{"msgId":"m1","sessionWebhookExpiredTime":-5}`,
		"invalid utf8":     "{\"msgId\":\"m1\",\"text\":{\"content\":\"\xff\"}}",
		"long id":          `{"msgId":"` + strings.Repeat("x", 600) + `"}`,
		"array":            `[1,2]`,
		"msgId whitespace": `{"msgId":"   "}`,
	}
	for name, body := range bad {
		if _, err := DecodeCallback([]byte(body)); !errors.Is(err, ErrBadCallback) {
			t.Errorf("%s: err = %v, want ErrBadCallback", name, err)
		}
	}
	if _, err := DecodeCallback(make([]byte, MaxCallbackBytes+1)); !errors.Is(err, ErrBadCallback) {
		t.Errorf("oversized body accepted")
	}
}

// FuzzDecodeCallback: the decoder never panics, and what it accepts has a
// message id and a reply URL that may be posted to.
func FuzzDecodeCallback(f *testing.F) {
	at := time.UnixMilli(1700000000000)
	f.Add(fake.DingTalkCallback{MsgID: "m1", Text: "帮助", SenderStaffID: "s", ConversationID: "cid", SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=1", SessionExpires: at}.Body())
	f.Add([]byte(`{"msgId":"x","msgtype":"text","text":{"content":"提工单\nsubject:a"}}`))
	f.Add([]byte(`{"msgId":"x","sessionWebhook":"http://127.0.0.1:1/x"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeCallback(body)
		if err != nil {
			if !errors.Is(err, ErrBadCallback) {
				t.Fatalf("error does not match ErrBadCallback: %v", err)
			}
			return
		}
		if strings.TrimSpace(c.MsgID) == "" {
			t.Fatal("accepted without msgId")
		}
		if c.SessionWebhook != "" && !SafeReplyURL(c.SessionWebhook) {
			t.Fatalf("accepted session webhook %q", c.SessionWebhook)
		}
		if c.MsgType != "" && c.MsgType != "text" && c.Text.Content != "" {
			t.Fatal("non-text message kept its text")
		}
		// What is accepted survives the trip through the job's JSON.
		b, err := json.Marshal(DingTalkArgs{MsgID: c.MsgID, Msg: *c})
		if err != nil {
			t.Fatal(err)
		}
		var back DingTalkArgs
		if err := json.Unmarshal(b, &back); err != nil || back.Msg.MsgID != c.MsgID || back.Msg.Text.Content != c.Text.Content {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func TestSafeReplyURL(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"https://oapi.dingtalk.com/robot/sendBySession?session=1": true,
		"https://hooks.slack.com/commands/T1/2/3":                 true,
		"http://127.0.0.1:8080/x":                                 true,
		"http://[::1]:8080/x":                                     true,
		"http://localhost/x":                                      true,
		"http://oapi.dingtalk.com/x":                              false,
		"http://10.0.0.1/x":                                       false,
		"https://user:pw@example.com/x":                           false,
		"ftp://example.com/x":                                     false,
		"https:///nohost":                                         false,
		"":                                                        false,
	} {
		if got := SafeReplyURL(u); got != want {
			t.Errorf("SafeReplyURL(%q) = %v, want %v", u, got, want)
		}
	}
}

// mapNonces is an in-memory sig.Nonces that can forget, so the handler
// tests need no database.
type mapNonces struct {
	mu  sync.Mutex
	m   map[string]time.Time
	now func() time.Time
}

func memNonces(c *clock) *mapNonces { return &mapNonces{m: map[string]time.Time{}, now: c.Now} }

func (n *mapNonces) Use(_ context.Context, key string, exp time.Time) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.m[key]; ok && e.After(n.now()) {
		return false, nil
	}
	n.m[key] = exp
	return true, nil
}

func (n *mapNonces) Forget(_ context.Context, key string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, key)
	return nil
}

func TestDingTalkHandler(t *testing.T) {
	t.Parallel()
	c := newClock(time.Now().UTC().Truncate(time.Millisecond))
	q := &spyQueue{}
	nonces := memNonces(c)
	h := &DingTalkHandler{AppSecret: appSecret, Nonces: nonces, Queue: q, Forget: nonces.Forget, Now: c.Now, Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cb := fake.DingTalkCallback{MsgID: "msg-1", Text: "帮助", SenderStaffID: "staff1", ConversationID: "cid1",
		SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=s1", SessionExpires: c.Now().Add(time.Hour)}
	do := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// A forged signature: refused, nothing queued.
	if code, _ := do(cb.Request(srv.URL, "wrong-secret", c.Now())); code != http.StatusUnauthorized {
		t.Fatalf("forged: %d", code)
	}
	// Too old.
	if code, _ := do(cb.Request(srv.URL, appSecret, c.Now().Add(-61*time.Minute))); code != http.StatusUnauthorized {
		t.Fatalf("expired: %d", code)
	}
	// No headers.
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(cb.Body())))
	if code, _ := do(req); code != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", code)
	}
	if n := len(q.inserted()); n != 0 {
		t.Fatalf("%d jobs queued for refused requests", n)
	}

	// Genuine: 200, the job carries the message.
	signed := cb.Request(srv.URL, appSecret, c.Now())
	ts, sign := signed.Header.Get("timestamp"), signed.Header.Get("sign")
	if code, body := do(signed); code != http.StatusOK {
		t.Fatalf("genuine: %d %s", code, body)
	}
	got := q.inserted()
	if len(got) != 1 {
		t.Fatalf("%d jobs queued", len(got))
	}
	a := got[0].(DingTalkArgs)
	if a.MsgID != "msg-1" || a.Msg.Text.Content != "帮助" || a.Msg.Sender() != "staff1" || a.Msg.SessionWebhook != cb.SessionWebhook || a.ReceivedAt != c.Now().UnixMilli() {
		t.Fatalf("job args %+v", a)
	}

	// The same headers again (with any body: DingTalk's sign does not
	// cover it) are a replay.
	c.Advance(time.Minute)
	other := cb
	other.MsgID, other.Text = "msg-2", "释放case,case_id:123"
	replay := fake.SignedDingTalkRequest(srv.URL, appSecret, c.Now(), other.Body())
	replay.Header.Set("timestamp", ts)
	replay.Header.Set("sign", sign)
	if code, _ := do(replay); code != http.StatusConflict {
		t.Fatalf("replay: %d", code)
	}
	if n := len(q.inserted()); n != 1 {
		t.Fatalf("replay queued a job (%d jobs)", n)
	}

	// A signed body that is not a callback: 400, and the signature is
	// not used up.
	badBody := fake.SignedDingTalkRequest(srv.URL, appSecret, c.Now(), []byte(`{"text":"no id"}`))
	if code, _ := do(badBody); code != http.StatusBadRequest {
		t.Fatalf("bad body: %d", code)
	}

	// The queue fails: 503, and DingTalk's retry with the same signature
	// passes once the queue is back.
	q.fail = errors.New("database is down")
	retry := cb
	retry.MsgID = "msg-3"
	first := retry.Request(srv.URL, appSecret, c.Now())
	if code, _ := do(first); code != http.StatusServiceUnavailable {
		t.Fatalf("queue down: %d", code)
	}
	q.fail = nil
	again := retry.Request(srv.URL, appSecret, c.Now())
	again.Header = first.Header.Clone()
	if code, _ := do(again); code != http.StatusOK {
		t.Fatalf("retry after queue failure: %d", code)
	}
	if n := len(q.inserted()); n != 2 {
		t.Fatalf("%d jobs, want 2", n)
	}
}

func TestSlackUnescape(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"search a &amp; b":                          "search a & b",
		"reply 123 x &lt; y &gt; z":                 "reply 123 x < y > z",
		"reply 123 see <https://example.com/a?b=1>": "reply 123 see https://example.com/a?b=1",
		"reply 123 see <https://example.com|link>":  "reply 123 see https://example.com",
		"cc:<mailto:a@example.com|a@example.com>":   "cc:a@example.com",
		"<@U024BE7LH> help":                         "<@U024BE7LH> help",
		"<@U024BE7LH|bob> help":                     "<@U024BE7LH|bob> help",
		"in <#C123|ops> please":                     "in #ops please",
		"&amp;lt; stays literal":                    "&lt; stays literal",
		"<!here> hi":                                "<!here> hi",
	}
	for in, want := range tests {
		if got := SlackUnescape(in); got != want {
			t.Errorf("SlackUnescape(%q) = %q, want %q", in, got, want)
		}
	}
}

const slackSecret = "slack-signing-secret-for-tests"

func TestSlackHandler(t *testing.T) {
	t.Parallel()
	c := newClock(time.Now().UTC().Truncate(time.Second))
	q := &spyQueue{}
	h := &SlackHandler{SigningSecret: slackSecret, Nonces: sig.NewReplayGuard(sig.SlackReplayWindow, 0, c.Now), Queue: q, Ack: "working",
		Now: c.Now, Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cmd := fake.SlackSlashCommand{Text: "search a & b <x>", TeamID: "T1", ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "bob",
		ResponseURL: "https://hooks.slack.com/commands/T1/1/abc", TriggerID: "trig-1"}
	do := func(req *http.Request) (int, map[string]string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, _ := do(cmd.Request(srv.URL, "wrong", c.Now())); code != http.StatusUnauthorized {
		t.Fatalf("forged: %d", code)
	}
	if code, _ := do(cmd.Request(srv.URL, slackSecret, c.Now().Add(-6*time.Minute))); code != http.StatusUnauthorized {
		t.Fatalf("expired: %d", code)
	}
	// The body is signed: changing it breaks the signature.
	req := cmd.Request(srv.URL, slackSecret, c.Now())
	tampered := cmd
	tampered.Text = "create case"
	req2 := tampered.Request(srv.URL, slackSecret, c.Now())
	req2.Header.Set("X-Slack-Signature", req.Header.Get("X-Slack-Signature"))
	if code, _ := do(req2); code != http.StatusUnauthorized {
		t.Fatalf("tampered: %d", code)
	}
	if n := len(q.inserted()); n != 0 {
		t.Fatalf("%d jobs for refused requests", n)
	}
	code, ack := do(req)
	if code != http.StatusOK || ack["response_type"] != "ephemeral" || ack["text"] != "working" {
		t.Fatalf("genuine: %d %v", code, ack)
	}
	got := q.inserted()
	if len(got) != 1 {
		t.Fatalf("%d jobs", len(got))
	}
	a := got[0].(SlackArgs)
	if a.ID != "trig-1" || a.Cmd.Text != "search a & b <x>" || a.Cmd.UserID != "U1" || a.Cmd.ChannelID != "C1" || a.Cmd.ResponseURL != cmd.ResponseURL {
		t.Fatalf("job %+v", a)
	}
	// Replayed.
	again := cmd.Request(srv.URL, slackSecret, c.Now())
	again.Header = req.Header.Clone()
	if code, _ := do(again); code != http.StatusConflict {
		t.Fatalf("replay: %d", code)
	}
	// A response_url that is not Slack's https.
	evil := cmd
	evil.ResponseURL, evil.TriggerID = "http://169.254.169.254/latest/meta-data", "trig-2"
	if code, _ := do(evil.Request(srv.URL, slackSecret, c.Now())); code != http.StatusBadRequest {
		t.Fatalf("unsafe response_url: %d", code)
	}
	if n := len(q.inserted()); n != 1 {
		t.Fatalf("%d jobs, want 1", n)
	}
}

func TestParseSlashCommandFallbackID(t *testing.T) {
	t.Parallel()
	v := url.Values{"user_id": {"U1"}, "response_url": {"https://hooks.slack.com/x"}, "text": {"help"}}
	c, err := ParseSlashCommand(v, "sig-abc")
	if err != nil || c.ID != "sig-abc" {
		t.Fatalf("%+v %v", c, err)
	}
	v.Del("user_id")
	if _, err := ParseSlashCommand(v, "x"); !errors.Is(err, ErrBadSlashCommand) {
		t.Fatalf("no user: %v", err)
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	open := Allow{}
	if !open.Allowed(ClassCreate, "anyone", "anywhere") {
		t.Fatal("empty list must allow")
	}
	a := Allow{Create: []string{"staff1", "cidOps"}, Resolve: []string{"staff2"}}
	for _, tt := range []struct {
		class, sender, conv string
		want                bool
	}{
		{ClassRead, "x", "y", true},
		{ClassCreate, "staff1", "other", true},
		{ClassCreate, "x", "cidOps", true},
		{ClassCreate, "staff2", "other", false},
		{ClassResolve, "staff2", "", true},
		{ClassResolve, "staff1", "cidOps", false},
		{ClassCreate, "", "", false},
	} {
		if got := a.Allowed(tt.class, tt.sender, tt.conv); got != tt.want {
			t.Errorf("Allowed(%s, %s, %s) = %v", tt.class, tt.sender, tt.conv, got)
		}
	}
}
