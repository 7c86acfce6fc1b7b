package fake_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
)

func TestLarkValidation(t *testing.T) {
	t.Parallel()
	const secret = "larkSEC0123"
	now := time.Unix(1718000000, 0)
	f := fake.NewLark(t, fake.WithSecret(secret), fake.WithToken("hooktok"), fake.WithClock(func() time.Time { return now }))
	// Known answer, computed independently with Python (hmac.new(key=
	// b"1718000000\nlarkSEC0123", msg=b"", sha256), base64).
	const knownSign = "1XHIkDiTbLRV+DIvA/Eq6Bf2cSR28q+z714Q9U6tAe4="
	if got := fake.LarkSign(secret, 1718000000); got != knownSign {
		t.Fatalf("LarkSign = %q", got)
	}
	sig := func(ts int64) string {
		return `"timestamp":"` + strconv.FormatInt(ts, 10) + `","sign":"` + fake.LarkSign(secret, ts) + `",`
	}
	good := `"timestamp":"1718000000","sign":"` + knownSign + `",`
	card := `"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"障害"},"template":"red"},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**x** y"}},{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"Open"},"url":"https://desk.example.com/a/1","type":"primary"}]}]}}`
	const ct = "application/json; charset=utf-8"
	tests := []struct {
		name, url, body string
		code            int
		msg             string
	}{
		{"valid card", f.URL(), "{" + good + card, 0, "success"},
		{"valid text, numeric timestamp", f.URL(), `{"timestamp":1718000000,"sign":"` + knownSign + `","msg_type":"text","content":{"text":"hi"}}`, 0, "success"},
		{"unknown token", strings.Replace(f.URL(), "hooktok", "other", 1), "{" + good + card, 19001, "param invalid: incoming webhook access token invalid"},
		{"unsigned", f.URL(), "{" + card, 19021, "sign match fail"},
		{"wrong sign", f.URL(), `{"timestamp":"1718000000","sign":"` + fake.LarkSign("other", 1718000000) + `",` + card, 19021, "sign match fail"},
		{"timestamp in milliseconds", f.URL(), "{" + `"timestamp":"1718000000000","sign":"` + fake.LarkSign(secret, 1718000000000) + `",` + card, 19021, "sign match fail"},
		{"timestamp 61 minutes old", f.URL(), "{" + sig(1718000000-61*60) + card, 19021, "sign match fail"},
		{"timestamp 59 minutes ahead", f.URL(), "{" + sig(1718000000+59*60) + card, 0, "success"},
		{"malformed json", f.URL(), `{"msg_type":`, 19001, "param invalid"},
		{"unknown msg_type", f.URL(), "{" + good + `"msg_type":"video"}`, 19001, "param invalid: msg_type is invalid"},
		{"card without elements", f.URL(), "{" + good + `"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"t"}},"elements":[]}}`, 19001, "param invalid: card is invalid"},
		{"div with unknown text tag", f.URL(), "{" + good + `"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"t"}},"elements":[{"tag":"div","text":{"tag":"html","content":"x"}}]}}`, 19001, "param invalid: card is invalid"},
		{"too large", f.URL(), "{" + good + `"msg_type":"text","content":{"text":"` + strings.Repeat("a", 20<<10) + `"}}`, 19001, "param invalid: request body exceeds 20KB"},
	}
	for _, tt := range tests {
		status, _, body := post(t, tt.url, ct, tt.body)
		var ans struct {
			Code *int   `json:"code"`
			Msg  string `json:"msg"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &ans) != nil || ans.Code == nil {
			t.Errorf("%s: %d %s, want HTTP 200 with code", tt.name, status, body)
			continue
		}
		if *ans.Code != tt.code || !strings.HasPrefix(ans.Msg, tt.msg) {
			t.Errorf("%s: code %d %q, want %d %q", tt.name, *ans.Code, ans.Msg, tt.code, tt.msg)
		}
	}
	msgs := f.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages accepted, want 3", len(msgs))
	}
	m := msgs[0]
	if m.MsgType != "interactive" || m.Title != "障害" || m.Template != "red" || len(m.Texts) != 1 || m.Texts[0] != "**x** y" ||
		len(m.Buttons) != 1 || m.Buttons[0] != "https://desk.example.com/a/1" || m.Timestamp != 1718000000 || m.Sign != knownSign {
		t.Fatalf("card = %+v", m)
	}
	if msgs[1].Texts[0] != "hi" {
		t.Fatalf("text = %+v", msgs[1])
	}
}

func TestLarkKeywordRateLimitAndCodes(t *testing.T) {
	t.Parallel()
	var at atomic.Int64
	at.Store(time.Unix(1718000000, 0).UnixNano())
	f := fake.NewLark(t, fake.WithKeyword("opsdesk"), fake.WithClock(func() time.Time { return time.Unix(0, at.Load()) }))
	send := func(text string) (int, string) {
		_, _, body := post(t, f.URL(), "application/json", `{"msg_type":"text","content":{"text":"`+text+`"}}`)
		var ans struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		}
		_ = json.Unmarshal([]byte(body), &ans)
		return ans.Code, ans.Msg
	}
	if code, msg := send("no keyword"); code != 19024 || msg != "Key Words Not Found" {
		t.Fatalf("missing keyword: %d %q", code, msg)
	}
	f.FailNextCode(1, fake.LarkFrequencyLimited, "frequency limited")
	if code, _ := send("opsdesk"); code != 11232 {
		t.Fatalf("injected: %d", code)
	}
	// 5 a second, then 9499; 100 a minute, then 9499.
	sent := 0
	for i := range 10 {
		code, msg := send("opsdesk")
		if i < fake.LarkPerSecond && code != 0 || i >= fake.LarkPerSecond && (code != 9499 || msg != "too many request") {
			t.Fatalf("message %d in one second: %d %q", i+1, code, msg)
		}
	}
	sent += fake.LarkPerSecond
	for sent < fake.LarkPerMinute {
		at.Add(int64(time.Second))
		for range fake.LarkPerSecond {
			if code, _ := send("opsdesk"); code != 0 {
				t.Fatalf("message %d: %d", sent+1, code)
			}
			sent++
		}
	}
	at.Add(int64(time.Second))
	if code, _ := send("opsdesk"); code != 9499 {
		t.Fatalf("message 101 within a minute: %d", code)
	}
	at.Add(time.Minute.Nanoseconds())
	if code, _ := send("opsdesk"); code != 0 {
		t.Fatalf("a minute later: %d", code)
	}
	if n := f.Count(); n != fake.LarkPerMinute+1 {
		t.Fatalf("%d accepted", n)
	}
}

func TestWeComValidation(t *testing.T) {
	t.Parallel()
	var at atomic.Int64
	at.Store(time.Unix(1718000000, 0).UnixNano())
	f := fake.NewWeCom(t, fake.WithToken("k-1"), fake.WithClock(func() time.Time { return time.Unix(0, at.Load()) }))
	md := func(content string) string {
		b, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
		return string(b)
	}
	tests := []struct {
		name, url, body string
		code            int
		msg             string
	}{
		{"valid markdown", f.URL(), md("### 障害\n> **x**"), 0, "ok"},
		{"valid text", f.URL(), `{"msgtype":"text","text":{"content":"hi"}}`, 0, "ok"},
		{"4096 bytes", f.URL(), md(strings.Repeat("障", 1365) + "a"), 0, "ok"},
		{"unknown key", strings.Replace(f.URL(), "k-1", "k-2", 1), md("x"), 93000, "invalid webhook url"},
		{"no key", f.BaseURL() + "/cgi-bin/webhook/send", md("x"), 93000, "invalid webhook url"},
		{"malformed json", f.URL(), `{"msgtype"`, 40035, ""},
		{"unknown msgtype", f.URL(), `{"msgtype":"video"}`, 40008, "invalid message type"},
		{"empty content", f.URL(), md(""), 44004, ""},
		{"4097 bytes", f.URL(), md(strings.Repeat("障", 1365) + "ab"), 40058, "content exceed max length 4096"},
		{"text over 2048 bytes", f.URL(), `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", 2049) + `"}}`, 40058, "content exceed max length 2048"},
	}
	for _, tt := range tests {
		status, _, body := post(t, tt.url, "application/json", tt.body)
		var ans struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &ans) != nil || ans.ErrCode == nil {
			t.Errorf("%s: %d %s, want HTTP 200 with errcode", tt.name, status, body)
			continue
		}
		if *ans.ErrCode != tt.code || !strings.HasPrefix(ans.ErrMsg, tt.msg) {
			t.Errorf("%s: errcode %d %q, want %d %q", tt.name, *ans.ErrCode, ans.ErrMsg, tt.code, tt.msg)
		}
	}
	msgs := f.Messages()
	if len(msgs) != 3 || msgs[0].MsgType != "markdown" || msgs[0].Content != "### 障害\n> **x**" || msgs[1].Content != "hi" {
		t.Fatalf("messages = %+v", msgs)
	}
	// 20 a minute: 17 more fit, the 21st is refused until the minute is over.
	for i := 3; i < fake.WeComPerMinute; i++ {
		if _, _, body := post(t, f.URL(), "application/json", md("m")); !strings.Contains(body, `"errcode":0`) {
			t.Fatalf("message %d: %s", i+1, body)
		}
	}
	if _, _, body := post(t, f.URL(), "application/json", md("m")); !strings.Contains(body, `"errcode":45009`) || !strings.Contains(body, "api freq out of limit") {
		t.Fatalf("message 21: %s", body)
	}
	at.Add(time.Minute.Nanoseconds())
	if _, _, body := post(t, f.URL(), "application/json", md("m")); !strings.Contains(body, `"errcode":0`) {
		t.Fatalf("a minute later: %s", body)
	}
	f.FailNextErrcode(1, -1, "system busy")
	if _, _, body := post(t, f.URL(), "application/json", md("m")); !strings.Contains(body, `"errcode":-1`) {
		t.Fatalf("injected: %s", body)
	}
}
