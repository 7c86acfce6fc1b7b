package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// dingtalk posts a markdown message (a question or a Message) to a DingTalk custom robot
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
	// At is set only for a Request.Mention (mention.go).
	At map[string]any `json:"at,omitempty"`
}

// dingtalkActionCard is a message with buttons (Message.Actions): the same
// markdown text, one button per action, stacked.
type dingtalkActionCard struct {
	MsgType    string `json:"msgtype"`
	ActionCard struct {
		Title          string              `json:"title"`
		Text           string              `json:"text"`
		BtnOrientation string              `json:"btnOrientation"`
		Btns           []map[string]string `json:"btns"`
	} `json:"actionCard"`
	At map[string]any `json:"at,omitempty"`
}

// dingtalkPayload builds the markdown message for r, cutting the question
// (never the facts) so the encoded body fits DingTalk's size limit. The
// project, name and question come from the public form and are escaped
// (EscapeDingTalk); each line of the question is its own paragraph.
func dingtalkPayload(r Request) ([]byte, error) {
	q := r.Question
	text := strings.TrimRight(normalizeNewlines(q.Text), "\n")
	build := func(text string, cut bool) dingtalkMessage {
		var b strings.Builder
		fmt.Fprintf(&b, "### opsdesk: new question %s\n\n", q.ID)
		fmt.Fprintf(&b, "- **Project:** %s\n", orDash(EscapeDingTalk(q.Project)))
		fmt.Fprintf(&b, "- **Name:** %s\n", orDash(EscapeDingTalk(q.Name)))
		fmt.Fprintf(&b, "- **Submitted:** %s\n", submitted(q.SubmittedAt))
		fmt.Fprintf(&b, "- **Reference:** %s\n\n", orDash(q.ID))
		b.WriteString(strings.ReplaceAll(EscapeDingTalk(text), "\n", "\n\n"))
		if cut {
			b.WriteString("…\n\n(truncated: the full question is in the console)")
		}
		if r.ConsoleURL != "" {
			fmt.Fprintf(&b, "\n\n[Open in console](%s)", dingtalkLinkURL(r.ConsoleURL))
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
		// Shrink by the overflow (JSON and markdown escaping can make a
		// byte cost more than one, hence the loop).
		cut -= len(body) - dingtalkMaxBody + 16
		text = cutBytes(text, cut)
		cut = len(text)
		if body, err = marshal(build(text, true)); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// dingtalkMessagePayload builds the markdown message for a Message: a
// heading with the severity mark and title, the text, the fields as list
// lines, a line naming kind, severity and reference, and the link. Title,
// text, fields and that line are escaped (EscapeDingTalk) so they show as
// written; the text is cut so the body fits DingTalk's size limit.
// "opsdesk" is in the title and the text, so a robot secured by that custom
// keyword accepts the message.
func dingtalkMessagePayload(r Request) ([]byte, error) {
	m := r.Message
	title := messageTitle(m)
	fields := displayFields(m)
	meta := "opsdesk"
	if x := messageMeta(m); x != "" {
		meta += " · " + x
	}
	link := dingtalkLinkURL(messageLink(r))
	actions := messageActions(m)
	heading := EscapeDingTalk(title)
	if e := severityEmoji(normalizeSeverity(m.Severity)); e != "" {
		heading = e + " " + heading
	}
	var at map[string]any
	var atText string
	if r.Mention != nil {
		var err error
		if at, atText, err = dingtalkMention(r.Mention); err != nil {
			return nil, err
		}
	}
	build := func(text string, cut bool) any {
		var b strings.Builder
		b.WriteString("### " + heading + "\n\n")
		if atText != "" {
			// The one mention opsdesk writes: DingTalk highlights it
			// because at names the same member.
			b.WriteString(atText + "\n\n")
		}
		if text != "" {
			// Each line is its own paragraph (a single newline would not
			// break the line); blank lines add nothing between them.
			var lines []string
			for l := range strings.SplitSeq(text, "\n") {
				if strings.TrimSpace(l) != "" {
					lines = append(lines, l)
				}
			}
			b.WriteString(EscapeDingTalk(strings.Join(lines, "\n\n")))
			if cut {
				b.WriteString(ellipsis + "\n\n(truncated)")
			}
			b.WriteString("\n\n")
		}
		for _, f := range fields {
			fmt.Fprintf(&b, "- **%s:** %s\n", EscapeDingTalk(f.Name), EscapeDingTalk(f.Value))
		}
		if len(fields) > 0 {
			b.WriteString("\n")
		}
		b.WriteString(EscapeDingTalk(meta))
		if link != "" {
			fmt.Fprintf(&b, "\n\n[Open in console](%s)", link)
		}
		if len(actions) > 0 {
			var card dingtalkActionCard
			card.MsgType = "actionCard"
			card.ActionCard.Title = cutRunes("opsdesk: "+title, 100)
			card.ActionCard.Text = b.String()
			card.ActionCard.BtnOrientation = "0"
			for _, a := range actions {
				card.ActionCard.Btns = append(card.ActionCard.Btns, map[string]string{"title": a.Label, "actionURL": a.URL})
			}
			card.At = at
			return card
		}
		var msg dingtalkMessage
		msg.MsgType = "markdown"
		msg.Markdown.Title = cutRunes("opsdesk: "+title, 100)
		msg.Markdown.Text = b.String()
		msg.At = at
		return msg
	}
	return fitBody(messageText(m), dingtalkMaxBody, build)
}

// dingtalkLinkURL makes an http(s) URL safe inside a markdown link's
// parentheses.
func dingtalkLinkURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u)
}

func (s *dingtalk) Send(ctx context.Context, r Request) (Result, error) {
	var body []byte
	var err error
	if r.Message != nil {
		body, err = dingtalkMessagePayload(r)
	} else if r.Mention != nil {
		err = fmt.Errorf("mention: only a message can mention a member")
	} else {
		body, err = dingtalkPayload(r)
	}
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
	// The robot allows 20 messages a minute (dingtalkSendTooFast). Other
	// codes — 310000 (signature, keyword, IP whitelist), 300001 (unknown
	// token), 460101 (too long), 400xx (bad payload) … — are refused again.
	if err := s.postErrcode(ctx, u.String(), "application/json;charset=utf-8", body, dingtalkSendTooFast, dingtalkSystemBusy); err != nil {
		return Result{}, err
	}
	return Result{}, nil
}
