package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// teams posts an Adaptive Card to a Microsoft Teams Workflows ("Post to a
// channel when a webhook request is received") webhook. The flow answers
// 202 Accepted; the URL's sig parameter is the credential.
type teams struct {
	*base
	url *url.URL
}

// Adaptive Card types, only what opsdesk sends.
type (
	teamsMessage struct {
		Type        string            `json:"type"`
		Attachments []teamsAttachment `json:"attachments"`
	}
	teamsAttachment struct {
		ContentType string       `json:"contentType"`
		ContentURL  *string      `json:"contentUrl"`
		Content     adaptiveCard `json:"content"`
	}
	adaptiveCard struct {
		Schema  string           `json:"$schema"`
		Type    string           `json:"type"`
		Version string           `json:"version"`
		Body    []map[string]any `json:"body"`
		Actions []map[string]any `json:"actions,omitempty"`
		MSTeams map[string]any   `json:"msteams,omitempty"`
	}
)

const adaptiveCardContentType = "application/vnd.microsoft.card.adaptive"

// teamsPayload builds the webhook body for r: the project, name and
// question come from the public form and are escaped (EscapeTeams); the
// question is cut, like a message's text, so the card stays under
// teamsMaxBody.
func teamsPayload(r Request) ([]byte, error) {
	q := r.Question
	facts := []map[string]string{
		{"title": "Project", "value": orDash(EscapeTeams(q.Project))},
		{"title": "Name", "value": orDash(EscapeTeams(q.Name))},
		{"title": "Submitted", "value": submitted(q.SubmittedAt)},
		{"title": "Reference", "value": orDash(q.ID)},
	}
	build := func(text string, cut bool) any {
		card := adaptiveCard{
			Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
			Type:    "AdaptiveCard",
			Version: "1.4",
			Body: []map[string]any{
				{"type": "TextBlock", "text": "New question " + q.ID, "weight": "Bolder", "size": "Medium", "wrap": true},
				{"type": "FactSet", "facts": facts},
			},
			MSTeams: map[string]any{"width": "Full"},
		}
		if text != "" || cut {
			// An empty TextBlock is invalid in the Adaptive Card schema.
			text = EscapeTeams(text)
			if cut {
				text += ellipsis + "\n\n(truncated: the full question is in the console)"
			}
			card.Body = append(card.Body, map[string]any{"type": "TextBlock", "text": text, "wrap": true})
		}
		if r.ConsoleURL != "" {
			card.Actions = []map[string]any{{"type": "Action.OpenUrl", "title": "Open in console", "url": r.ConsoleURL}}
		}
		return teamsMessage{
			Type:        "message",
			Attachments: []teamsAttachment{{ContentType: adaptiveCardContentType, Content: card}},
		}
	}
	return fitBody(strings.TrimSpace(normalizeNewlines(q.Text)), teamsMaxBody, build)
}

// teamsMaxBody bounds a message card. Teams refuses to post a message over
// about 28 KB, and a Workflows flow reports that only in its run history
// after it has answered 202, so opsdesk must stay under it: the text is cut
// to fit, with a margin for what the flow adds.
const teamsMaxBody = 24000

// teamsSeverityColor is the title colour for a severity (an Adaptive Card
// TextBlock colour), "" for the default.
func teamsSeverityColor(sev string) string {
	switch sev {
	case SeverityCritical, SeverityError:
		return "Attention"
	case SeverityWarning:
		return "Warning"
	case SeverityInfo:
		return "Accent"
	}
	return ""
}

// teamsMessageBody builds the webhook body for a Message: the title as a
// bold TextBlock coloured by severity, the text, a FactSet of the fields, a
// subtle line with kind, severity and reference, and an Action.OpenUrl.
// Title, text, fields and that line are escaped (EscapeTeams).
func teamsMessageBody(r Request) ([]byte, error) {
	m := r.Message
	title := messageTitle(m)
	fields := displayFields(m)
	meta := messageMeta(m)
	link := messageLink(r)
	actions := messageActions(m)
	build := func(text string, cut bool) any {
		head := map[string]any{"type": "TextBlock", "text": EscapeTeams(title), "weight": "Bolder", "size": "Medium", "wrap": true}
		if c := teamsSeverityColor(normalizeSeverity(m.Severity)); c != "" {
			head["color"] = c
		}
		card := adaptiveCard{
			Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
			Type:    "AdaptiveCard",
			Version: "1.4",
			Body:    []map[string]any{head},
			MSTeams: map[string]any{"width": "Full"},
		}
		if text != "" || cut {
			text = EscapeTeams(text)
			if cut {
				text += ellipsis + "\n\n(truncated)"
			}
			card.Body = append(card.Body, map[string]any{"type": "TextBlock", "text": text, "wrap": true})
		}
		if len(fields) > 0 {
			facts := make([]map[string]string, 0, len(fields))
			for _, f := range fields {
				facts = append(facts, map[string]string{"title": EscapeTeams(f.Name), "value": EscapeTeams(f.Value)})
			}
			card.Body = append(card.Body, map[string]any{"type": "FactSet", "facts": facts})
		}
		if meta != "" {
			card.Body = append(card.Body, map[string]any{"type": "TextBlock", "text": EscapeTeams(meta), "isSubtle": true, "size": "Small", "wrap": true})
		}
		if link != "" {
			card.Actions = []map[string]any{{"type": "Action.OpenUrl", "title": "Open in console", "url": link}}
		}
		for _, a := range actions {
			card.Actions = append(card.Actions, map[string]any{"type": "Action.OpenUrl", "title": EscapeTeams(a.Label), "url": a.URL})
		}
		return teamsMessage{
			Type:        "message",
			Attachments: []teamsAttachment{{ContentType: adaptiveCardContentType, Content: card}},
		}
	}
	return fitBody(messageText(m), teamsMaxBody, build)
}

func (t *teams) Send(ctx context.Context, r Request) (Result, error) {
	var body []byte
	var err error
	if r.Message != nil {
		body, err = teamsMessageBody(r)
	} else {
		body, err = teamsPayload(r)
	}
	if err != nil {
		return Result{}, t.fail(true, 0, 0, "encode card: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, t.fail(true, 0, 0, "build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.do(req)
	if err != nil {
		return Result{}, err
	}
	if resp.status < 200 || resp.status > 299 {
		return Result{}, t.classify(resp, azureErrorMessage(resp.body))
	}
	return Result{}, nil
}

// azureErrorMessage extracts the message of a Logic Apps / Power Automate
// error body: {"error":{"code":"…","message":"…"}}.
func azureErrorMessage(body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Error.Code == "" && e.Error.Message == "") {
		return ""
	}
	msg := e.Error.Message
	if e.Error.Code != "" {
		msg = e.Error.Code + ": " + msg
	}
	return oneLine(msg, maxReason)
}

// marshal encodes v as JSON without HTML escaping, so "<", ">" and "&" in a
// question reach the destination as written. The zero-width spaces the
// escaping functions insert are written as \u200b, which decodes the same
// but stays visible in logs and golden files.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return bytes.ReplaceAll(out, []byte(zwsp), []byte(`\u200b`)), nil
}
