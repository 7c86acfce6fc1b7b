package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// wecom posts a markdown message to a WeCom (企业微信) group robot
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…). The key in the
// URL is the robot's only credential; there is no signing. The robot
// answers HTTP 200 with {"errcode":0,"errmsg":"ok"} on success and a
// non-zero errcode otherwise.
type wecom struct {
	*base
	url *url.URL
}

// WeCom errcodes opsdesk tells apart.
const (
	wecomFreqOutOfLimit = 45009 // "api freq out of limit": over 20 messages a minute
	wecomSystemBusy     = -1
)

// wecomMaxContent keeps a margin below markdown.content's limit of 4096
// bytes (UTF-8).
const wecomMaxContent = 4000

// wecomContent builds the markdown content for a question or a Message,
// cutting the text (never the facts) to the content limit. Outside text is
// escaped by EscapeWeCom; each line of text is its own line (WeCom keeps
// single line breaks). The severity is shown by its mark before the title:
// opsdesk writes no HTML (such as <font color>) of its own, so any tag in
// a message could only have come from outside and is always escaped.
func wecomContent(r Request) (string, error) {
	var head, text, meta, link string
	var facts []string
	if m := r.Message; m != nil {
		title := EscapeWeCom(messageTitle(m))
		if e := severityEmoji(normalizeSeverity(m.Severity)); e != "" {
			title = e + " " + title
		}
		head = "### " + title
		for _, f := range displayFields(m) {
			facts = append(facts, fmt.Sprintf("> **%s:** %s\n", EscapeWeCom(f.Name), EscapeWeCom(f.Value)))
		}
		text = messageText(m)
		meta = "opsdesk"
		if x := messageMeta(m); x != "" {
			meta += " · " + x
		}
		meta = EscapeWeCom(meta)
		link = messageLink(r)
	} else {
		q := r.Question
		head = "### opsdesk: new question " + EscapeWeCom(q.ID)
		facts = []string{fmt.Sprintf("> **Project:** %s\n> **Name:** %s\n> **Submitted:** %s\n> **Reference:** %s\n",
			orDash(EscapeWeCom(q.Project)), orDash(EscapeWeCom(q.Name)), submitted(q.SubmittedAt), orDash(EscapeWeCom(q.ID)))}
		text = strings.TrimSpace(normalizeNewlines(strings.ToValidUTF8(q.Text, "\uFFFD")))
		link = r.ConsoleURL
	}
	shown := len(facts)
	build := func(text string, cut bool) any {
		var b strings.Builder
		b.WriteString(head + "\n")
		for _, f := range facts[:shown] {
			b.WriteString(f)
		}
		if shown < len(facts) {
			fmt.Fprintf(&b, "> (%d more in the console)\n", len(facts)-shown)
		}
		if text != "" {
			b.WriteString("\n" + EscapeWeCom(text))
			if cut {
				b.WriteString(ellipsis + "\n(truncated: the full text is in the console)")
			}
			b.WriteString("\n")
		}
		if meta != "" {
			b.WriteString("\n" + meta + "\n")
		}
		if link != "" {
			fmt.Fprintf(&b, "\n[Open in console](%s)", dingtalkLinkURL(link))
		}
		return b.String()
	}
	// fitBody measures the JSON string, which is never shorter than the
	// content itself. Facts are never cut, but when they alone are over
	// the limit (20 long CJK fields are) only as many as fit are shown.
	enc, err := fitBody(text, wecomMaxContent, build)
	for errors.Is(err, errTooLarge) && shown > 0 {
		shown /= 2
		enc, err = fitBody(text, wecomMaxContent, build)
	}
	if err != nil {
		return "", err
	}
	var content string
	if err := json.Unmarshal(enc, &content); err != nil {
		return "", err
	}
	return content, nil
}

type wecomMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

func (s *wecom) Send(ctx context.Context, r Request) (Result, error) {
	if r.Mention != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: mention: wecom destinations cannot mention a member")
	}
	content, err := wecomContent(r)
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: %v", err)
	}
	var m wecomMessage
	m.MsgType = "markdown"
	m.Markdown.Content = content
	body, err := marshal(m)
	if err != nil {
		return Result{}, s.fail(true, 0, 0, "encode message: %v", err)
	}
	// 45009: 20 messages a minute per robot. Other codes — 93000 (invalid
	// webhook key), 40008 (bad msgtype), 40058 / 44004 (content too long
	// or empty) … — are refused again on a retry.
	if err := s.postErrcode(ctx, s.url.String(), "application/json; charset=utf-8", body, wecomFreqOutOfLimit, wecomSystemBusy); err != nil {
		return Result{}, err
	}
	return Result{}, nil
}
