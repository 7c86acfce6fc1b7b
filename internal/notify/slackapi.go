package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
)

// DefaultSlackAPIURL is the Slack Web API base a bot-token destination
// talks to unless api_url says otherwise.
const DefaultSlackAPIURL = "https://slack.com/api/"

// SlackAPI is a Slack destination in Web API mode (bot_token_env and
// channel): messages are posted with chat.postMessage and can be edited
// with chat.update, which an incoming webhook cannot do. The token goes in
// an Authorization: Bearer header, the body is JSON, and Slack answers
// HTTP 200 {"ok": true, "ts": "…"} or {"ok": false, "error": "…"}; HTTP
// 429 carries Retry-After.
//
// chat.postMessage has no idempotency key: a caller that must not post
// twice records that it is about to post before calling PostMessage (see
// internal/alertchat).
type SlackAPI struct {
	*base
	api     *url.URL
	token   string
	channel string
}

// SlackPost is one chat.postMessage or chat.update.
type SlackPost struct {
	Channel string // "" for the destination's channel
	// ThreadTS makes the post a reply in that message's thread.
	ThreadTS string
	Text     string           // the notification text (and the fallback)
	Blocks   []map[string]any // Block Kit blocks; may be nil
}

// NewSlackAPI builds the Web API client of a slack destination with
// bot_token_env. lookup resolves the token's variable.
func NewSlackAPI(d config.Destination, lookup func(string) (string, bool), client *http.Client) (*SlackAPI, error) {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	key := "destinations[" + d.Name + "]"
	tok, err := config.Secret(lookup, key+".bot_token_env", d.BotTokenEnv)
	if err != nil {
		return nil, err
	}
	if tok == "" {
		return nil, &config.Error{Key: key + ".bot_token_env", Msg: "is required for the Slack Web API"}
	}
	raw := d.APIURL
	if raw == "" {
		raw = DefaultSlackAPIURL
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &config.Error{Key: key + ".api_url", Msg: "is not an http(s) URL"}
	}
	b := &base{kind: "slack", client: &c, now: time.Now}
	b.addSecret(tok)
	return &SlackAPI{base: b, api: u, token: tok, channel: d.Channel}, nil
}

// Channel is the destination's channel id.
func (s *SlackAPI) Channel() string { return s.channel }

// PostMessage posts p and returns the message's ts (its id in the
// channel) and the channel Slack posted to.
func (s *SlackAPI) PostMessage(ctx context.Context, p SlackPost) (channel, ts string, err error) {
	body := s.body(p)
	if p.ThreadTS != "" {
		body["thread_ts"] = p.ThreadTS
	}
	ans, err := s.call(ctx, "chat.postMessage", body)
	if err != nil {
		return "", "", err
	}
	if ans.TS == "" {
		return "", "", s.fail(false, http.StatusOK, 0, "chat.postMessage: no ts in the answer")
	}
	return ans.Channel, ans.TS, nil
}

// Update replaces the text and blocks of the message ts in channel.
func (s *SlackAPI) Update(ctx context.Context, ts string, p SlackPost) error {
	body := s.body(p)
	body["ts"] = ts
	_, err := s.call(ctx, "chat.update", body)
	return err
}

// Send delivers a question or a Message as a new message in the channel,
// so that a bot-token destination also serves questions and events. The
// ts is the ExternalRef.
func (s *SlackAPI) Send(ctx context.Context, r Request) (Result, error) {
	payload := slackPayload
	if r.Message != nil {
		payload = slackMessagePayload
	}
	p := payload(r)
	if r.Mention != nil {
		at, err := slackMention(r.Mention)
		if err == nil && r.Message == nil {
			err = errors.New("mention: only a message can mention a member")
		}
		if err != nil {
			return Result{}, s.fail(true, 0, 0, "%v", err)
		}
		p = withSlackMention(p, at)
	}
	p["channel"] = s.channel
	ans, err := s.call(ctx, "chat.postMessage", p)
	if err != nil {
		return Result{}, err
	}
	return Result{ExternalRef: ans.TS}, nil
}

func (*SlackAPI) canMention() bool { return true }

func (s *SlackAPI) body(p SlackPost) map[string]any {
	ch := p.Channel
	if ch == "" {
		ch = s.channel
	}
	m := map[string]any{"channel": ch, "text": p.Text, "unfurl_links": false, "unfurl_media": false}
	if p.Blocks != nil {
		m["blocks"] = p.Blocks
	}
	return m
}

type slackAnswer struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	TS      string `json:"ts"`
	Channel string `json:"channel"`
}

// slackRetryable are the Web API errors that may pass on a retry.
var slackRetryable = map[string]bool{
	"ratelimited": true, "rate_limited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true, "team_added_to_org": true,
}

func (s *SlackAPI) call(ctx context.Context, method string, body map[string]any) (*slackAnswer, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, s.fail(true, 0, 0, "%s: encode: %v", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api.JoinPath(method).String(), bytes.NewReader(data))
	if err != nil {
		return nil, s.fail(true, 0, 0, "%s: build request: %v", method, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.do(req)
	if err != nil {
		return nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, s.classify(resp, "")
	}
	var ans slackAnswer
	if err := json.Unmarshal(resp.body, &ans); err != nil {
		return nil, s.fail(false, resp.status, 0, "%s: unexpected answer: %s", method, bodyText(resp.body))
	}
	if !ans.OK {
		code := oneLine(ans.Error, 100)
		if code == "" {
			code = "unknown error"
		}
		if slackRetryable[ans.Error] {
			return nil, s.fail(false, resp.status, retryAfter(resp.header, s.now()), "%s: %s", method, code)
		}
		return nil, s.fail(true, resp.status, 0, "%s: %s", method, code)
	}
	return &ans, nil
}
