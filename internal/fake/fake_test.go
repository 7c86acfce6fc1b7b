package fake_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/fake"
)

// post sends body to u and returns status, headers and body.
func post(t *testing.T, u, contentType, body string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const validCard = `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"質問","wrap":true},{"type":"FactSet","facts":[{"title":"Name","value":"李"}]}],"actions":[{"type":"Action.OpenUrl","title":"Open","url":"https://desk.example.com/q/1"}]}}]}`

func TestTeamsValidation(t *testing.T) {
	t.Parallel()
	f := fake.NewTeams(t)
	tests := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"valid", "application/json", validCard, 202, ""},
		{"valid with charset", "application/json; charset=utf-8", validCard, 202, ""},
		{"not json content type", "text/plain", validCard, 400, "InvalidRequestContent"},
		{"malformed json", "application/json", `{"type":`, 400, "InvalidRequestContent"},
		{"not a message", "application/json", strings.Replace(validCard, `"message"`, `"note"`, 1), 400, "InvalidRequestContent"},
		{"no attachments", "application/json", `{"type":"message","attachments":[]}`, 400, "InvalidRequestContent"},
		{"legacy MessageCard", "application/json", `{"@type":"MessageCard","text":"hi"}`, 400, "InvalidRequestContent"},
		{"wrong content type", "application/json", strings.Replace(validCard, "card.adaptive", "card.hero", 1), 400, "InvalidRequestContent"},
		{"unsupported version", "application/json", strings.Replace(validCard, `"1.4"`, `"2.0"`, 1), 400, "InvalidRequestContent"},
		{"empty text block", "application/json", strings.Replace(validCard, `"質問"`, `""`, 1), 400, "InvalidRequestContent"},
		{"relative OpenUrl", "application/json", strings.Replace(validCard, "https://desk.example.com/q/1", "/q/1", 1), 400, "InvalidRequestContent"},
	}
	for _, tt := range tests {
		status, _, body := post(t, f.URL(), tt.ct, tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, status, tt.status, body)
			continue
		}
		if tt.code != "" {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("%s: body %s, want error code %s", tt.name, body, tt.code)
			}
		}
	}
	if n := len(f.Messages()); n != 2 {
		t.Fatalf("%d messages accepted, want 2", n)
	}
	if got := f.Messages()[0].Card; got.TextBlocks()[0] != "質問" || got.Facts()["Name"] != "李" || got.Actions[0].URL != "https://desk.example.com/q/1" {
		t.Fatalf("decoded card = %+v", got)
	}
	// Wrong sig: 401.
	u, _ := url.Parse(f.URL())
	q := u.Query()
	q.Set("sig", "forged")
	u.RawQuery = q.Encode()
	if status, _, body := post(t, u.String(), "application/json", validCard); status != 401 || !strings.Contains(body, "DirectApiInvalidAuthorizationSignature") {
		t.Fatalf("forged sig: %d %s", status, body)
	}
	if f.RequestCount() != len(tests)+1 || f.Count() != 2 {
		t.Fatalf("RequestCount=%d Count=%d", f.RequestCount(), f.Count())
	}
}

type backlogErrors struct {
	Errors []struct {
		Message  string `json:"message"`
		Code     int    `json:"code"`
		MoreInfo string `json:"moreInfo"`
	} `json:"errors"`
}

func backlogErr(t *testing.T, body string) (string, int) {
	t.Helper()
	var e backlogErrors
	if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("not a Backlog error body: %s", body)
	}
	return e.Errors[0].Message, e.Errors[0].Code
}

func TestBacklogValidation(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 12, 1, 2, 3, 0, time.UTC)
	f := fake.NewBacklog(t, fake.WithAPIKey("k1"), fake.WithProject(5, "TRAIN"), fake.WithClock(func() time.Time { return now }))
	issues := f.URL() + "/api/v2/issues?apiKey=k1"
	form := func(mod func(url.Values)) string {
		v := url.Values{"projectId": {"5"}, "summary": {"件名"}, "issueTypeId": {"2"}, "priorityId": {"3"}, "description": {"本文"}}
		if mod != nil {
			mod(v)
		}
		return v.Encode()
	}
	const formCT = "application/x-www-form-urlencoded"
	tests := []struct {
		name     string
		url, ct  string
		body     string
		status   int
		message  string
		code     int
		issueKey string
	}{
		{"created", issues, formCT, form(nil), 201, "", 0, "TRAIN-1"},
		{"no api key", f.URL() + "/api/v2/issues", formCT, form(nil), 401, "Authentication failure.", 11, ""},
		{"wrong api key", f.URL() + "/api/v2/issues?apiKey=k2", formCT, form(nil), 401, "Authentication failure.", 11, ""},
		{"JSON body is not read", issues, "application/json", `{"projectId":5,"summary":"x","issueTypeId":2,"priorityId":3}`, 400, "Please input 'projectId'.", 7, ""},
		{"summary missing", issues, formCT, form(func(v url.Values) { v.Del("summary") }), 400, "Please input 'summary'.", 7, ""},
		{"summary 256 characters", issues, formCT, form(func(v url.Values) { v.Set("summary", strings.Repeat("障", 256)) }), 400, "'summary' must be 255 characters or less.", 7, ""},
		{"summary 255 characters", issues, formCT, form(func(v url.Values) { v.Set("summary", strings.Repeat("障", 255)) }), 201, "", 0, "TRAIN-2"},
		{"issue type missing", issues, formCT, form(func(v url.Values) { v.Del("issueTypeId") }), 400, "Please input 'issueTypeId'.", 7, ""},
		{"priority invalid", issues, formCT, form(func(v url.Values) { v.Set("priorityId", "1") }), 400, "No priority.", 7, ""},
		{"other project", issues, formCT, form(func(v url.Values) { v.Set("projectId", "6") }), 404, "No project.", 6, ""},
		{"milestone not a number", issues, formCT, form(func(v url.Values) { v.Add("milestoneId[]", "x") }), 400, "'milestoneId[]' must be a number.", 7, ""},
		{"with arrays", issues, formCT, form(func(v url.Values) {
			v["milestoneId[]"] = []string{"11", "12"}
			v["categoryId[]"] = []string{"21"}
			v.Set("assigneeId", "7")
		}), 201, "", 0, "TRAIN-3"},
	}
	for _, tt := range tests {
		status, hdr, body := post(t, tt.url, tt.ct, tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, status, tt.status, body)
			continue
		}
		if hdr.Get("X-RateLimit-Reset") != strconv.FormatInt(now.Add(time.Minute).Unix(), 10) {
			t.Errorf("%s: X-RateLimit-Reset = %q", tt.name, hdr.Get("X-RateLimit-Reset"))
		}
		if tt.issueKey != "" {
			var is map[string]any
			if err := json.Unmarshal([]byte(body), &is); err != nil || is["issueKey"] != tt.issueKey || is["created"] != "2024-06-12T01:02:03Z" {
				t.Errorf("%s: issue %s", tt.name, body)
			}
			continue
		}
		if msg, code := backlogErr(t, body); msg != tt.message || code != tt.code {
			t.Errorf("%s: error %q code %d, want %q %d", tt.name, msg, code, tt.message, tt.code)
		}
	}
	all := f.Issues()
	if len(all) != 3 || all[2].AssigneeID != 7 || len(all[2].MilestoneIDs) != 2 || all[2].CategoryIDs[0] != 21 || all[0].Form.Get("description") != "本文" {
		t.Fatalf("issues = %+v", all)
	}

	// Search: keyword over summary and description, newest first, count.
	f.CreateIssue("別件", "opsdesk-delivery: dlv-XYZ")
	status, _, body := get(t, issues+"&projectId[]=5&keyword=DLV-xyz")
	var found []map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &found) != nil || len(found) != 1 || found[0]["issueKey"] != "TRAIN-4" {
		t.Fatalf("keyword search: %d %s", status, body)
	}
	status, _, body = get(t, issues+"&projectId[]=5&count=2")
	if status != 200 || json.Unmarshal([]byte(body), &found) != nil || len(found) != 2 || found[0]["issueKey"] != "TRAIN-4" {
		t.Fatalf("list: %d %s", status, body)
	}
	status, _, body = get(t, issues+"&projectId[]=9")
	if status != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("other project: %d %s", status, body)
	}
	if status, _, body = get(t, issues+"&count=101"); status != 400 {
		t.Fatalf("count=101: %d %s", status, body)
	}
	if status, _, body = get(t, f.URL()+"/api/v2/issues/TRAIN-2?apiKey=k1"); status != 200 || !strings.Contains(body, `"keyId":2`) {
		t.Fatalf("get issue: %d %s", status, body)
	}
	if status, _, body = get(t, f.URL()+"/api/v2/issues/TRAIN-99?apiKey=k1"); status != 404 {
		t.Fatalf("get missing issue: %d %s", status, body)
	}
}

func TestDingTalkValidation(t *testing.T) {
	t.Parallel()
	const secret = "SEC0123456789abcdef"
	now := time.UnixMilli(1718000000000)
	f := fake.NewDingTalk(t, fake.WithSecret(secret), fake.WithToken("tok"), fake.WithClock(func() time.Time { return now }))
	signed := func(ts int64, sign string) string {
		return f.BaseURL() + "/robot/send?access_token=tok&timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(sign)
	}
	// Known answer, computed independently with Python.
	if got := fake.DingTalkSign(secret, 1718000000000); got != "67joQj01lURtqN9SINZurGdkt9BlqLmT39G9dhRN/3E=" {
		t.Fatalf("DingTalkSign = %q", got)
	}
	good := signed(1718000000000, "67joQj01lURtqN9SINZurGdkt9BlqLmT39G9dhRN/3E=")
	md := `{"msgtype":"markdown","markdown":{"title":"t","text":"障害です"}}`
	const jsonCT = "application/json;charset=utf-8"
	tests := []struct {
		name, url, ct, body string
		errcode             int
		errmsg              string
	}{
		{"valid", good, jsonCT, md, 0, "ok"},
		{"valid text", good, "application/json", `{"msgtype":"text","text":{"content":"hi"}}`, 0, "ok"},
		{"unknown token", strings.Replace(good, "tok", "other", 1), jsonCT, md, 300001, "token is not exist"},
		{"unsigned", f.BaseURL() + "/robot/send?access_token=tok", jsonCT, md, 310000, "invalid timestamp"},
		{"sign not url-encoded", strings.Replace(good, "%2F", "/", 1), jsonCT, md, 0, "ok"},
		{"wrong sign", signed(1718000000000, fake.DingTalkSign("SECother", 1718000000000)), jsonCT, md, 310000, "sign not match"},
		{"timestamp two hours old", signed(1718000000000-2*3600*1000, fake.DingTalkSign(secret, 1718000000000-2*3600*1000)), jsonCT, md, 310000, "invalid timestamp"},
		{"timestamp 59 minutes ahead", signed(1718000000000+59*60*1000, fake.DingTalkSign(secret, 1718000000000+59*60*1000)), jsonCT, md, 0, "ok"},
		{"wrong content type", good, "text/plain", md, 43004, ""},
		{"malformed json", good, jsonCT, `{"msgtype":`, 40035, "缺少参数 json"},
		{"no msgtype", good, jsonCT, `{"markdown":{"title":"t","text":"x"}}`, 40035, "缺少参数 msgtype"},
		{"markdown without title", good, jsonCT, `{"msgtype":"markdown","markdown":{"text":"x"}}`, 40035, "缺少参数 markdown.title"},
		{"unknown msgtype", good, jsonCT, `{"msgtype":"video"}`, 40008, ""},
		{"too long", good, jsonCT, `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", 20000) + `"}}`, 460101, "message too long, exceed 20000 bytes"},
	}
	for _, tt := range tests {
		status, _, body := post(t, tt.url, tt.ct, tt.body)
		var ans struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &ans) != nil {
			t.Errorf("%s: %d %s, want HTTP 200 with errcode", tt.name, status, body)
			continue
		}
		if ans.ErrCode != tt.errcode || !strings.HasPrefix(ans.ErrMsg, tt.errmsg) {
			t.Errorf("%s: errcode %d %q, want %d %q", tt.name, ans.ErrCode, ans.ErrMsg, tt.errcode, tt.errmsg)
		}
	}
	msgs := f.Messages()
	if len(msgs) != 4 || msgs[0].Text != "障害です" || msgs[0].Title != "t" || msgs[1].Text != "hi" || msgs[0].Timestamp != 1718000000000 {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestDingTalkKeywordAndErrcodes(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalk(t, fake.WithKeyword("告警", "opsdesk"))
	send := func(text string) (int, string) {
		_, _, body := post(t, f.URL(), "application/json", `{"msgtype":"text","text":{"content":"`+text+`"}}`)
		var ans struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		_ = json.Unmarshal([]byte(body), &ans)
		return ans.ErrCode, ans.ErrMsg
	}
	if code, _ := send("no keyword here"); code != 310000 {
		t.Fatalf("missing keyword: errcode %d", code)
	}
	if code, _ := send("opsdesk question"); code != 0 {
		t.Fatalf("keyword: errcode %d", code)
	}
	f.FailNextErrcode(2, fake.DingTalkSendTooFast, "send too fast, exceed 20 times per minute")
	for range 2 {
		if code, msg := send("告警"); code != 130101 || msg != "send too fast, exceed 20 times per minute" {
			t.Fatalf("injected errcode: %d %q", code, msg)
		}
	}
	if code, _ := send("告警"); code != 0 || f.Count() != 2 {
		t.Fatalf("after injected errcodes: errcode %d count %d", code, f.Count())
	}
}

func TestSlackValidation(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	section := func(n int) string {
		return `{"blocks":[{"type":"section","text":{"type":"plain_text","text":"` + strings.Repeat("質", n) + `"}}]}`
	}
	tests := []struct {
		name, url, ct, body string
		status              int
		answer              string
	}{
		{"text", f.URL(), "application/json", `{"text":"こんにちは"}`, 200, "ok"},
		{"blocks only", f.URL(), "application/json", section(3000), 200, "ok"},
		{"form payload", f.URL(), "application/x-www-form-urlencoded", url.Values{"payload": {`{"text":"hi"}`}}.Encode(), 200, "ok"},
		{"malformed json", f.URL(), "application/json", `{"text":`, 400, "invalid_payload"},
		{"not an object", f.URL(), "application/json", `["text"]`, 400, "invalid_payload"},
		{"no text", f.URL(), "application/json", `{"username":"bot"}`, 400, "no_text"},
		{"section too long", f.URL(), "application/json", section(3001), 400, "invalid_blocks"},
		{"empty section text", f.URL(), "application/json", section(0), 400, "invalid_blocks"},
		{"unknown block", f.URL(), "application/json", `{"blocks":[{"type":"banner"}]}`, 400, "invalid_blocks"},
		{"header mrkdwn", f.URL(), "application/json", `{"blocks":[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]}`, 400, "invalid_blocks"},
		{"blocks not a list", f.URL(), "application/json", `{"text":"x","blocks":{}}`, 400, "invalid_blocks"},
		{"unknown hook", f.BaseURL() + "/services/T0FAKE0001/B0FAKE0001/nope", "application/json", `{"text":"x"}`, 404, "no_service"},
	}
	for _, tt := range tests {
		status, _, body := post(t, tt.url, tt.ct, tt.body)
		if status != tt.status || body != tt.answer {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, body, tt.status, tt.answer)
		}
	}
	msgs := f.Messages()
	if len(msgs) != 3 || msgs[0].Text != "こんにちは" || len(msgs[1].SectionTexts()[0]) != 9000 || msgs[2].Text != "hi" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	const secret = "whsec-test"
	at := time.Unix(1718000000, 0)
	f := fake.NewWebhook(t, fake.WithSecret(secret), fake.WithClock(func() time.Time { return at }))
	body := func(id string) string {
		return `{"id":"` + id + `","type":"question","question":{"id":"Q-1","project":"","name":"","text":"質問","submitted_at":"2024-06-12T01:02:03Z","source_ip":"192.0.2.1"}}`
	}
	// Known-answer signature (Python hmac) for the body {"id":"d-1"} is
	// checked in notify; here the fake must accept a signature computed
	// independently of opsdesk's sender.
	sign := func(ts, b string) string {
		return "sha256=" + hmacHex(secret, ts+"."+b)
	}
	const ts = "1718000000"
	h := func(key, ts, sig string) []string {
		return []string{"Idempotency-Key", key, "X-Opsdesk-Timestamp", ts, "X-Opsdesk-Signature", sig}
	}
	tests := []struct {
		name   string
		ct     string
		body   string
		hdr    []string
		status int
	}{
		{"valid", "application/json", body("d-1"), h("d-1", ts, sign(ts, body("d-1"))), 200},
		{"duplicate", "application/json", body("d-1"), h("d-1", ts, sign(ts, body("d-1"))), 200},
		{"second", "application/json", body("d-2"), h("d-2", ts, sign(ts, body("d-2"))), 200},
		{"no idempotency key", "application/json", body("d-3"), h("", ts, sign(ts, body("d-3"))), 400},
		{"no timestamp", "application/json", body("d-3"), h("d-3", "", sign(ts, body("d-3"))), 400},
		{"bad signature", "application/json", body("d-3"), h("d-3", ts, sign(ts, body("d-4"))), 401},
		{"no signature", "application/json", body("d-3"), h("d-3", ts, ""), 401},
		{"stale timestamp", "application/json", body("d-3"), h("d-3", "1717999000", sign("1717999000", body("d-3"))), 401},
		{"key differs from id", "application/json", body("d-3"), h("d-X", ts, sign(ts, body("d-3"))), 400},
		{"not UTC", "application/json", strings.Replace(body("d-3"), "01:02:03Z", "10:02:03+09:00", 1), h("d-3", ts, sign(ts, strings.Replace(body("d-3"), "01:02:03Z", "10:02:03+09:00", 1))), 400},
		{"form body", "application/x-www-form-urlencoded", body("d-3"), h("d-3", ts, sign(ts, body("d-3"))), 415},
	}
	for _, tt := range tests {
		status, _, answer := post(t, f.URL(), tt.ct, tt.body, tt.hdr...)
		if status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, status, answer, tt.status)
		}
		if status != 200 {
			var e struct{ Error string }
			if json.Unmarshal([]byte(answer), &e) != nil || e.Error == "" {
				t.Errorf("%s: error body %q is not {\"error\":…}", tt.name, answer)
			}
		}
	}
	if f.Count() != 3 || f.UniqueCount() != 2 {
		t.Fatalf("Count=%d UniqueCount=%d, want 3 and 2", f.Count(), f.UniqueCount())
	}
	if d := f.Deliveries(); d[0].Duplicate || !d[1].Duplicate || d[2].Payload.Question.Text != "質問" {
		t.Fatalf("deliveries = %+v", d)
	}
	f.WaitForUnique(t, 2, time.Second)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	f.FailNext(2, fake.Failure{Status: 429, RetryAfter: "12", RateLimitReset: "1700000000"})
	for range 2 {
		status, hdr, body := post(t, f.URL(), "application/json", `{"text":"x"}`)
		if status != 429 || hdr.Get("Retry-After") != "12" || hdr.Get("X-RateLimit-Reset") != "1700000000" || body != "rate_limited" {
			t.Fatalf("injected: %d %v %q", status, hdr, body)
		}
	}
	f.FailNext(1, fake.Failure{Status: 404, Body: "channel_not_found"})
	if status, _, body := post(t, f.URL(), "application/json", `{"text":"x"}`); status != 404 || body != "channel_not_found" {
		t.Fatalf("injected body: %d %q", status, body)
	}
	if status, _, _ := post(t, f.URL(), "application/json", `{"text":"x"}`); status != 200 {
		t.Fatalf("after failures: %d", status)
	}
	if f.Count() != 1 || f.RequestCount() != 4 || len(f.Messages()) != 1 {
		t.Fatalf("Count=%d RequestCount=%d", f.Count(), f.RequestCount())
	}
	f.Reset()
	if f.RequestCount() != 0 {
		t.Fatal("Reset kept requests")
	}
}

func TestDelayProcessesThenTimesOut(t *testing.T) {
	t.Parallel()
	f := fake.NewWebhook(t)
	f.SetDelay(10 * time.Second)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, f.URL(), strings.NewReader(`{"id":"d-1","type":"question","question":{"id":"Q","text":"x","submitted_at":"2024-01-01T00:00:00Z"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "d-1")
	req.Header.Set("X-Opsdesk-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	start := time.Now()
	_, err := c.Do(req)
	if err == nil {
		t.Fatal("request succeeded despite the delay")
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("client waited %v", time.Since(start))
	}
	f.WaitFor(t, 1, 5*time.Second) // processed although the answer never came
	f.SetDelay(0)
}

func TestDownUp(t *testing.T) {
	t.Parallel()
	f := fake.NewTeams(t)
	url := f.URL()
	if status, _, _ := post(t, url, "application/json", validCard); status != 202 {
		t.Fatal("not up")
	}
	f.Down()
	// A fresh transport: a pooled keep-alive connection that Down closed
	// would fail with EOF instead of "connection refused".
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	_, err := c.Post(url, "application/json", strings.NewReader(validCard))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("while down: %v, want connection refused", err)
	}
	f.Up()
	if status, _, _ := post(t, url, "application/json", validCard); status != 202 {
		t.Fatal("not back up")
	}
	f.SetUnavailable(true)
	if status, _, body := post(t, url, "application/json", validCard); status != 503 || !strings.Contains(body, "ServiceUnavailable") {
		t.Fatalf("unavailable: %d %s", status, body)
	}
	f.SetUnavailable(false)
	f.WaitFor(t, 2, time.Second)
	if f.Count() != 2 {
		t.Fatalf("Count = %d", f.Count())
	}
}

func TestWaitForConcurrent(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 5 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.URL(), strings.NewReader(`{"text":"x"}`))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	f.WaitFor(t, 5, 5*time.Second)
	f.WaitForRequests(t, 5, time.Second)
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestKeepAlive: by default every request comes on a connection of its own
// (Down reads as refused); WithKeepAlive lets a client reuse its connection.
func TestKeepAlive(t *testing.T) {
	for _, keep := range []bool{false, true} {
		var opts []fake.Option
		if keep {
			opts = append(opts, fake.WithKeepAlive())
		}
		f := fake.NewWebhook(t, opts...)
		c := &http.Client{Transport: &http.Transport{}}
		reused := 0
		for i := range 3 {
			req, _ := http.NewRequest(http.MethodPost, f.URL(), strings.NewReader(`{"id":"d-`+strconv.Itoa(i)+`","type":"question","question":{"id":"Q","text":"x","submitted_at":"2024-01-01T00:00:00Z"}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "d-"+strconv.Itoa(i))
			req.Header.Set("X-Opsdesk-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
				if ci.Reused {
					reused++
				}
			}}))
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		if want := map[bool]int{false: 0, true: 2}[keep]; reused != want {
			t.Fatalf("keep-alive %v: %d of 3 requests reused a connection, want %d", keep, reused, want)
		}
	}
}
