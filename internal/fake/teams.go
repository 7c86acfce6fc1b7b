package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Teams is a Microsoft Teams Workflows webhook ("Post to a channel when a
// webhook request is received"): a Logic Apps manual trigger URL whose sig
// query parameter is the credential. It accepts an Adaptive Card message
// with 202 Accepted and answers errors as Logic Apps does:
// {"error":{"code":"…","message":"…"}}.
type Teams struct {
	*Server
	messages []TeamsMessage
}

// TeamsMessage is one accepted Teams post.
type TeamsMessage struct {
	Card AdaptiveCard   // the first attachment's card
	Raw  map[string]any // the whole request body
}

// AdaptiveCard is the decoded card of a TeamsMessage.
type AdaptiveCard struct {
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Body    []CardElement `json:"body"`
	Actions []CardAction  `json:"actions"`
}

// CardElement is one element of a card body (TextBlock, FactSet, …).
type CardElement struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap"`
	Weight   string `json:"weight"`
	Size     string `json:"size"`
	Color    string `json:"color"`
	IsSubtle bool   `json:"isSubtle"`
	Facts    []Fact `json:"facts"`
}

// Fact is one row of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// CardAction is a card action such as Action.OpenUrl.
type CardAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// TextBlocks returns the text of every TextBlock of the card, in order.
func (c AdaptiveCard) TextBlocks() []string {
	var out []string
	for _, e := range c.Body {
		if e.Type == "TextBlock" {
			out = append(out, e.Text)
		}
	}
	return out
}

// Facts returns the card's FactSet rows as title → value.
func (c AdaptiveCard) Facts() map[string]string {
	out := map[string]string{}
	for _, e := range c.Body {
		for _, f := range e.Facts {
			out[f.Title] = f.Value
		}
	}
	return out
}

const (
	teamsPath    = "/workflows/0b5c8d7e1f2a4b3c9d8e7f6a5b4c3d2e/triggers/manual/paths/invoke"
	teamsToken   = "fake-teams-sig-5Qm1ZzVvX0mXw3Yk8nTq2rLp"
	adaptiveType = "application/vnd.microsoft.card.adaptive"
)

// NewTeams starts a Teams Workflows webhook fake. Options: WithToken (the
// sig value).
func NewTeams(t testing.TB, opts ...Option) *Teams {
	t.Helper()
	f := &Teams{Server: newServer(t, "teams", opts, teamsError)}
	if f.opt.token == "" {
		f.opt.token = teamsToken
	}
	f.start(f.serve)
	return f
}

// URL is the webhook URL to configure (it contains the sig token).
func (f *Teams) URL() string {
	q := url.Values{}
	q.Set("api-version", "2016-06-01")
	q.Set("sp", "/triggers/manual/run")
	q.Set("sv", "1.0")
	q.Set("sig", f.opt.token)
	return f.BaseURL() + teamsPath + "?" + q.Encode()
}

// Token is the sig value in URL.
func (f *Teams) Token() string { return f.opt.token }

// Messages returns the accepted posts in arrival order.
func (f *Teams) Messages() []TeamsMessage {
	var out []TeamsMessage
	f.locked(func() { out = append(out, f.messages...) })
	return out
}

func teamsError(status int, msg string) (string, []byte) {
	code := map[int]string{
		http.StatusBadRequest:          "InvalidRequestContent",
		http.StatusUnauthorized:        "DirectApiInvalidAuthorizationSignature",
		http.StatusNotFound:            "WorkflowNotFound",
		http.StatusMethodNotAllowed:    "MethodNotAllowed",
		http.StatusTooManyRequests:     "WorkflowTriggerIsThrottled",
		http.StatusServiceUnavailable:  "ServiceUnavailable",
		http.StatusInternalServerError: "InternalServerError",
	}[status]
	if code == "" {
		code = http.StatusText(status)
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return "application/json; charset=utf-8", b
}

func (f *Teams) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != teamsPath {
		f.writeError(w, http.StatusNotFound, "The workflow was not found.")
		return
	}
	if r.Method != http.MethodPost {
		f.writeError(w, http.StatusMethodNotAllowed, "The trigger only accepts POST.")
		return
	}
	q := r.URL.Query()
	if q.Get("sig") != f.opt.token || q.Get("api-version") == "" {
		f.writeError(w, http.StatusUnauthorized, "The provided authorization signature is invalid.")
		return
	}
	if !contentTypeIs(r, "application/json") {
		f.writeError(w, http.StatusBadRequest, "The request content type must be 'application/json'.")
		return
	}
	body, _ := io.ReadAll(r.Body)
	msg, err := validateTeams(body)
	if err != nil {
		f.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.accept(func() { f.messages = append(f.messages, msg) })
	w.WriteHeader(http.StatusAccepted)
}

// validateTeams checks the envelope the Workflows template expects and the
// parts of the Adaptive Card schema opsdesk relies on.
func validateTeams(body []byte) (TeamsMessage, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return TeamsMessage{}, fmt.Errorf("The request content is not valid JSON: %v", err)
	}
	var env struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string          `json:"contentType"`
			Content     json.RawMessage `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return TeamsMessage{}, fmt.Errorf("The request content does not match the message schema: %v", err)
	}
	if env.Type != "message" {
		return TeamsMessage{}, fmt.Errorf("Property 'type' must be 'message', got %q.", env.Type)
	}
	if len(env.Attachments) == 0 {
		return TeamsMessage{}, fmt.Errorf("Property 'attachments' must contain at least one attachment.")
	}
	var first AdaptiveCard
	for i, a := range env.Attachments {
		if a.ContentType != adaptiveType {
			return TeamsMessage{}, fmt.Errorf("attachments[%d].contentType must be %q, got %q.", i, adaptiveType, a.ContentType)
		}
		card, err := validateCard(a.Content)
		if err != nil {
			return TeamsMessage{}, fmt.Errorf("attachments[%d].content: %v", i, err)
		}
		if i == 0 {
			first = card
		}
	}
	return TeamsMessage{Card: first, Raw: raw}, nil
}

func validateCard(content json.RawMessage) (AdaptiveCard, error) {
	var card AdaptiveCard
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&card); err != nil {
		return card, fmt.Errorf("not a card: %v", err)
	}
	if card.Type != "AdaptiveCard" {
		return card, fmt.Errorf("type must be 'AdaptiveCard', got %q", card.Type)
	}
	switch card.Version {
	case "1.0", "1.1", "1.2", "1.3", "1.4", "1.5":
	default:
		return card, fmt.Errorf("version %q is not supported by Teams (1.0 to 1.5)", card.Version)
	}
	if len(card.Body) == 0 {
		return card, fmt.Errorf("body must not be empty")
	}
	for i, e := range card.Body {
		switch e.Type {
		case "TextBlock":
			if e.Text == "" {
				return card, fmt.Errorf("body[%d]: TextBlock.text is required", i)
			}
			for _, p := range []struct{ name, value, allowed string }{
				{"weight", e.Weight, "default lighter bolder"},
				{"size", e.Size, "default small medium large extralarge"},
				{"color", e.Color, "default dark light accent good warning attention"},
			} {
				if p.value != "" && !slices.Contains(strings.Fields(p.allowed), strings.ToLower(p.value)) {
					return card, fmt.Errorf("body[%d]: TextBlock.%s %q is not a valid value", i, p.name, p.value)
				}
			}
		case "FactSet":
			if len(e.Facts) == 0 {
				return card, fmt.Errorf("body[%d]: FactSet.facts must not be empty", i)
			}
			for j, fact := range e.Facts {
				if fact.Title == "" || fact.Value == "" {
					return card, fmt.Errorf("body[%d].facts[%d]: title and value are required", i, j)
				}
			}
		case "Container", "ColumnSet", "Image", "ImageSet", "ActionSet", "RichTextBlock", "Table":
		default:
			return card, fmt.Errorf("body[%d]: unknown element type %q", i, e.Type)
		}
	}
	for i, a := range card.Actions {
		switch a.Type {
		case "Action.OpenUrl":
			u, err := url.Parse(a.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return card, fmt.Errorf("actions[%d]: Action.OpenUrl.url must be an absolute http(s) URL", i)
			}
		case "Action.ShowCard", "Action.ToggleVisibility", "Action.Execute", "Action.Submit":
		default:
			return card, fmt.Errorf("actions[%d]: unknown action type %q", i, a.Type)
		}
	}
	return card, nil
}
