package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// lark posts an interactive card to a Lark / Feishu custom bot
// (https://open.feishu.cn/open-apis/bot/v2/hook/… or
// https://open.larksuite.com/open-apis/bot/v2/hook/…). With a signing
// secret the body carries "timestamp" (Unix seconds) and "sign". The bot
// answers HTTP 200 with {"code":0,…} on success and a non-zero code
// otherwise.
type lark struct {
	*base
	url    *url.URL
	secret string
}

// Lark custom bot codes opsdesk tells apart.
const (
	larkTooManyRequests  = 9499  // "too many request": over 100 a minute or 5 a second
	larkFrequencyLimited = 11232 // "frequency limited": platform-wide throttling
)

// larkMaxBody keeps a margin below the bot's 20 KB request limit.
const larkMaxBody = 19000

// LarkSign is a Lark / Feishu custom bot signature: base64 of the
// HMAC-SHA256 of an empty message under the key timestamp+"\n"+secret,
// timestamp in Unix seconds.
func LarkSign(secret string, timestamp int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

type larkText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

type larkElement struct {
	Tag     string       `json:"tag"`
	Text    *larkText    `json:"text,omitempty"`
	Actions []larkButton `json:"actions,omitempty"`
}

type larkButton struct {
	Tag  string   `json:"tag"`
	Text larkText `json:"text"`
	URL  string   `json:"url"`
	Type string   `json:"type"`
}

type larkCard struct {
	Config struct {
		WideScreenMode bool `json:"wide_screen_mode"`
	} `json:"config"`
	Header struct {
		Title    larkText `json:"title"`
		Template string   `json:"template"`
	} `json:"header"`
	Elements []larkElement `json:"elements"`
}

type larkMessage struct {
	Timestamp string   `json:"timestamp,omitempty"`
	Sign      string   `json:"sign,omitempty"`
	MsgType   string   `json:"msg_type"`
	Card      larkCard `json:"card"`
}

// larkTemplate is the header colour for a severity.
func larkTemplate(sev string) string {
	switch sev {
	case SeverityCritical:
		return "red"
	case SeverityError:
		return "orange"
	case SeverityWarning:
		return "yellow"
	case SeverityInfo:
		return "blue"
	}
	return "grey"
}

// larkCardFor builds the card: a plain_text header (not markup: only
// mentions and tags are broken), one lark_md block per part of
// the text and the facts (escaped by EscapeLark), and a button to link.
func larkCardFor(title, template, facts, text, note, link string) larkCard {
	var c larkCard
	c.Config.WideScreenMode = true
	// A zero-width space after "<" keeps even a renderer that looked for
	// <at> tags in plain text from finding one; the title reads the same.
	c.Header.Title = larkText{Tag: "plain_text", Content: strings.ReplaceAll(BreakMentions(title), "<", "<"+zwsp)}
	c.Header.Template = template
	md := func(s string) larkElement {
		return larkElement{Tag: "div", Text: &larkText{Tag: "lark_md", Content: s}}
	}
	if facts != "" {
		c.Elements = append(c.Elements, md(facts))
	}
	if text != "" {
		c.Elements = append(c.Elements, md(text))
	}
	if note != "" {
		c.Elements = append(c.Elements, md(note))
	}
	if link != "" {
		c.Elements = append(c.Elements, larkElement{Tag: "action", Actions: []larkButton{{
			Tag: "button", Text: larkText{Tag: "plain_text", Content: "Open in console"}, URL: link, Type: "primary",
		}}})
	}
	return c
}

// larkPayload builds the card for a question or a Message, cutting the
// text (never the facts) so the body fits the bot's size limit. "opsdesk"
// is in every card, for bots secured by that keyword.
func larkPayload(r Request, sign func(*larkMessage)) ([]byte, error) {
	var title, template, text, meta, link string
	var facts []string
	if m := r.Message; m != nil {
		title = "opsdesk: " + messageTitle(m)
		if e := severityEmoji(normalizeSeverity(m.Severity)); e != "" {
			title = e + " " + title
		}
		template = larkTemplate(normalizeSeverity(m.Severity))
		for _, f := range displayFields(m) {
			facts = append(facts, fmt.Sprintf("**%s:** %s", EscapeLark(f.Name), EscapeLark(f.Value)))
		}
		text = messageText(m)
		meta = "opsdesk"
		if x := messageMeta(m); x != "" {
			meta += " · " + x
		}
		meta = EscapeLark(meta)
		link = messageLink(r)
	} else {
		q := r.Question
		title = "opsdesk: new question " + q.ID
		template = "blue"
		facts = []string{fmt.Sprintf("**Project:** %s\n**Name:** %s\n**Submitted:** %s\n**Reference:** %s",
			orDash(EscapeLark(q.Project)), orDash(EscapeLark(q.Name)), submitted(q.SubmittedAt), orDash(EscapeLark(q.ID)))}
		text = strings.TrimSpace(normalizeNewlines(strings.ToValidUTF8(q.Text, "\uFFFD")))
		link = r.ConsoleURL
	}
	shown := len(facts)
	build := func(text string, cut bool) any {
		body := EscapeLark(text)
		if cut {
			body += ellipsis + "\n(truncated: the full text is in the console)"
		}
		f := strings.Join(facts[:shown], "\n")
		if shown < len(facts) {
			f += fmt.Sprintf("\n(%d more in the console)", len(facts)-shown)
		}
		m := larkMessage{MsgType: "interactive", Card: larkCardFor(title, template, f, body, meta, link)}
		sign(&m)
		return m
	}
	// Facts are never cut, but when they alone are over the limit only as
	// many as fit are shown.
	body, err := fitBody(text, larkMaxBody, build)
	for errors.Is(err, errTooLarge) && shown > 0 {
		shown /= 2
		body, err = fitBody(text, larkMaxBody, build)
	}
	return body, err
}

func (s *lark) Send(ctx context.Context, r Request) (Result, error) {
	if r.Mention != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: mention: lark destinations cannot mention a member")
	}
	ts := s.now().Unix()
	sign := func(m *larkMessage) {
		if s.secret != "" {
			m.Timestamp = strconv.FormatInt(ts, 10)
			m.Sign = LarkSign(s.secret, ts)
		}
	}
	body, err := larkPayload(r, sign)
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.do(req)
	if err != nil {
		return Result{}, err
	}
	// Current bots answer {"code","msg","data"}; old ones
	// {"StatusCode","StatusMessage"}.
	var ans struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	jsonErr := json.Unmarshal(resp.body, &ans)
	if ans.Code == nil && ans.StatusCode != nil {
		ans.Code, ans.Msg = ans.StatusCode, ans.StatusMessage
	}
	if resp.status < 200 || resp.status > 299 {
		msg := ""
		if jsonErr == nil && ans.Code != nil {
			msg = fmt.Sprintf("code %d: %s", *ans.Code, oneLine(ans.Msg, maxReason))
		}
		return Result{}, s.classify(resp, msg)
	}
	if jsonErr != nil || ans.Code == nil {
		return Result{}, s.fail(false, resp.status, 0, "HTTP %d: unexpected answer: %s", resp.status, bodyText(resp.body))
	}
	code := *ans.Code
	if code == 0 {
		return Result{}, nil
	}
	msg := oneLine(ans.Msg, maxReason)
	switch code {
	case larkTooManyRequests, larkFrequencyLimited:
		// 100 a minute per bot: waiting a minute always clears it.
		wait := retryAfter(resp.header, s.now())
		if wait <= 0 {
			wait = time.Minute
		}
		return Result{}, s.fail(false, resp.status, wait, "code %d: %s", code, msg)
	default:
		// 19021 (signature or timestamp), 19022 (IP not allowed), 19024
		// (keyword missing), 19001/9499-style bad requests …: the same
		// request will be refused again.
		return Result{}, s.fail(true, resp.status, 0, "code %d: %s", code, msg)
	}
}
