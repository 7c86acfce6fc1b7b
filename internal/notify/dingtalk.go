package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// dingtalk posts a markdown message to a DingTalk custom robot
// (https://oapi.dingtalk.com/robot/send?access_token=…). With a signing
// secret ("加签", the SEC… string) every request carries timestamp and sign
// query parameters. DingTalk answers HTTP 200 with {"errcode":0,"errmsg":"ok"}
// on success and a non-zero errcode otherwise.
type dingtalk struct {
	*base
	url    *url.URL
	secret string
}

// DingTalk error codes opsdesk tells apart.
const (
	dingtalkSendTooFast = 130101 // "send too fast, exceed 20 times per minute"
	dingtalkSystemBusy  = -1     // "系统繁忙"
)

// dingtalkMaxBody is DingTalk's request size limit (errcode 460101,
// "message too long, exceed 20000 bytes"); opsdesk keeps a margin.
const dingtalkMaxBody = 19000

// dingtalkSign is the robot signature: base64(HMAC-SHA256(key=secret,
// msg=timestamp+"\n"+secret)), before URL encoding.
func dingtalkSign(secret string, timestampMs int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMs, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

type dingtalkMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
}

// dingtalkPayload builds the markdown message for r, cutting the question
// (never the facts) so the encoded body fits DingTalk's size limit.
func dingtalkPayload(r Request) ([]byte, error) {
	q := r.Question
	lines := strings.Split(strings.TrimRight(normalizeNewlines(q.Text), "\n"), "\n")
	text := strings.Join(lines, "\n\n")
	build := func(text string, cut bool) dingtalkMessage {
		var b strings.Builder
		fmt.Fprintf(&b, "### opsdesk: new question %s\n\n", q.ID)
		fmt.Fprintf(&b, "- **Project:** %s\n", orDash(q.Project))
		fmt.Fprintf(&b, "- **Name:** %s\n", orDash(q.Name))
		fmt.Fprintf(&b, "- **Submitted:** %s\n", submitted(q.SubmittedAt))
		fmt.Fprintf(&b, "- **Reference:** %s\n\n", orDash(q.ID))
		b.WriteString(text)
		if cut {
			b.WriteString("…\n\n(truncated: the full question is in the console)")
		}
		if r.ConsoleURL != "" {
			fmt.Fprintf(&b, "\n\n[Open in console](%s)", r.ConsoleURL)
		}
		var m dingtalkMessage
		m.MsgType = "markdown"
		m.Markdown.Title = "opsdesk: question " + q.ID
		m.Markdown.Text = b.String()
		return m
	}
	body, err := marshal(build(text, false))
	if err != nil {
		return nil, err
	}
	for cut := len(text); len(body) > dingtalkMaxBody && cut > 0; {
		// Shrink by the overflow (JSON escaping can make a byte cost more
		// than one, hence the loop).
		cut -= len(body) - dingtalkMaxBody + 16
		text = cutBytes(text, cut)
		cut = len(text)
		if body, err = marshal(build(text, true)); err != nil {
			return nil, err
		}
	}
	return body, nil
}

func (s *dingtalk) Send(ctx context.Context, r Request) (Result, error) {
	body, err := dingtalkPayload(r)
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: %v", err)
	}
	u := *s.url
	if s.secret != "" {
		ts := s.now().UnixMilli()
		extra := "timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(dingtalkSign(s.secret, ts))
		if u.RawQuery != "" {
			u.RawQuery += "&" + extra
		} else {
			u.RawQuery = extra
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := s.do(req)
	if err != nil {
		return Result{}, err
	}
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	jsonErr := json.Unmarshal(resp.body, &ans)
	if resp.status < 200 || resp.status > 299 {
		msg := ""
		if jsonErr == nil && ans.ErrCode != nil {
			msg = fmt.Sprintf("errcode %d: %s", *ans.ErrCode, oneLine(ans.ErrMsg, maxReason))
		}
		return Result{}, s.classify(resp, msg)
	}
	if jsonErr != nil || ans.ErrCode == nil {
		return Result{}, s.fail(false, resp.status, 0, "HTTP %d: unexpected answer: %s", resp.status, bodyText(resp.body))
	}
	code := *ans.ErrCode
	if code == 0 {
		return Result{}, nil
	}
	msg := oneLine(ans.ErrMsg, maxReason)
	switch code {
	case dingtalkSendTooFast:
		// The robot allows 20 messages a minute.
		return Result{}, s.fail(false, resp.status, time.Minute, "errcode %d: %s", code, msg)
	case dingtalkSystemBusy:
		return Result{}, s.fail(false, resp.status, 0, "errcode %d: %s", code, msg)
	default:
		// 310000 (signature, keyword, IP whitelist), 300001 (unknown
		// token), 460101 (too long), 400xx (bad payload) …: the same
		// request will be refused again.
		return Result{}, s.fail(true, resp.status, 0, "errcode %d: %s", code, msg)
	}
}
