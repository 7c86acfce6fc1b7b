package chatsocket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// DingTalkGatewayURL is the DingTalk Open API base that opens stream
// connections.
const DingTalkGatewayURL = "https://api.dingtalk.com"

// DingTalkBotTopic is the topic of robot messages (CALLBACK).
const DingTalkBotTopic = "/v1.0/im/bot/messages/get"

// DingTalkMessages takes the robot messages that arrive over a stream.
type DingTalkMessages interface {
	// RobotMessage commits one robot message: data is the same JSON an
	// HTTP outgoing callback carries. An error wrapping ErrRejected is
	// acknowledged (DingTalk must not send it again); any other error is
	// not, and DingTalk delivers the message again.
	RobotMessage(ctx context.Context, data []byte) error
}

// DingTalk keeps a Stream mode connection: it registers the connection
// with the app's ClientID and ClientSecret (gateway/connections/open),
// dials the endpoint with the one-time ticket, answers the gateway's
// pings, acknowledges every message once committed, and opens a new
// connection (a new ticket) when the gateway says disconnect or the
// connection drops.
type DingTalk struct {
	ClientID     string
	ClientSecret string
	// GatewayURL overrides DingTalkGatewayURL (tests).
	GatewayURL string
	HTTP       *http.Client
	Messages   DingTalkMessages
	// UserAgent names this client to the gateway.
	UserAgent string
	Backoff   func(n int) time.Duration
	Now       func() time.Time
	Log       *slog.Logger

	Status Status
}

// Run keeps the connection until ctx ends.
func (c *DingTalk) Run(ctx context.Context) {
	b := c.Backoff
	if b == nil {
		b = Backoff
	}
	loop(ctx, "dingtalk stream", c.connect, &c.Status, b, c.now, discard(c.Log))
}

func (c *DingTalk) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *DingTalk) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Open registers a connection and returns its endpoint and ticket. An
// error matching ErrAuth means the gateway refused the credentials.
func (c *DingTalk) Open(ctx context.Context) (endpoint, ticket string, err error) {
	base := c.GatewayURL
	if base == "" {
		base = DingTalkGatewayURL
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "opsdesk"
	}
	body, _ := json.Marshal(map[string]any{
		"clientId":      c.ClientID,
		"clientSecret":  c.ClientSecret,
		"subscriptions": []map[string]string{{"type": "CALLBACK", "topic": DingTalkBotTopic}},
		"ua":            ua,
	})
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/v1.0/gateway/connections/open", bytes.NewReader(body))
	if err != nil {
		return "", "", fmt.Errorf("chatsocket: dingtalk: gateway open: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client().Do(req)
	if err != nil {
		return "", "", fmt.Errorf("chatsocket: dingtalk: gateway open: %w", err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", "", fmt.Errorf("chatsocket: dingtalk: gateway open: reading the answer: %w", err)
	}
	var out struct {
		Endpoint string `json:"endpoint"`
		Ticket   string `json:"ticket"`
		Code     string `json:"code"`
		Message  string `json:"message"`
	}
	_ = json.Unmarshal(rb, &out)
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(out.Code + " " + out.Message)
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return "", "", fmt.Errorf("chatsocket: dingtalk: gateway open: %w: HTTP %d %s (check chat.dingtalk.client_id_env and app_secret_env: the app's ClientId/AppKey and ClientSecret/AppSecret)", ErrAuth, resp.StatusCode, msg)
		}
		return "", "", fmt.Errorf("chatsocket: dingtalk: gateway open: HTTP %d %s", resp.StatusCode, msg)
	}
	if u, err := url.Parse(out.Endpoint); err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || out.Ticket == "" {
		return "", "", fmt.Errorf("chatsocket: dingtalk: gateway open: no WebSocket endpoint and ticket in the answer")
	}
	return out.Endpoint, out.Ticket, nil
}

// connect opens one connection.
func (c *DingTalk) connect(ctx context.Context) (*session, error) {
	endpoint, ticket, err := c.Open(ctx)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(endpoint)
	q := u.Query()
	q.Set("ticket", ticket)
	u.RawQuery = q.Encode()
	dctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{HTTPClient: c.client()})
	if err != nil {
		return nil, fmt.Errorf("chatsocket: dingtalk: dialing %s://%s: %w", u.Scheme, u.Host, err)
	}
	s := newSession(ws)
	s.serve(context.WithoutCancel(ctx), func(ctx context.Context, msg []byte) { c.handle(ctx, s, msg) })
	go func() {
		select {
		case <-ctx.Done():
			s.close(websocket.StatusGoingAway, "shutting down")
		case <-s.done:
		}
	}()
	return s, nil
}

// StreamMessage is one message from the stream gateway.
type StreamMessage struct {
	SpecVersion string `json:"specVersion"`
	// Type is SYSTEM, EVENT or CALLBACK.
	Type    string        `json:"type"`
	Headers StreamHeaders `json:"headers"`
	// Data is the message's JSON, as a string.
	Data string `json:"data"`
}

// StreamHeaders are the headers of a stream message that matter here.
type StreamHeaders struct {
	MessageID   string `json:"messageId"`
	Topic       string `json:"topic"`
	ContentType string `json:"contentType"`
	Time        string `json:"time"`
}

// UnmarshalJSON takes the headers whatever their JSON types (time is
// sometimes a number), keeping strings and numbers as text.
func (h *StreamHeaders) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	str := func(k string) string {
		raw, ok := m[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		return ""
	}
	h.MessageID, h.Topic, h.ContentType, h.Time = str("messageId"), str("topic"), str("contentType"), str("time")
	return nil
}

// ErrBadStreamMessage is what DecodeStreamMessage returns (wrapped) for a
// message that is not usable.
var ErrBadStreamMessage = errors.New("chatsocket: not a DingTalk stream message")

// MaxMessageID bounds a stream message id.
const MaxMessageID = 256

// DecodeStreamMessage decodes and checks one stream message. It never
// panics; an error matches ErrBadStreamMessage and names what is wrong.
func DecodeStreamMessage(b []byte) (*StreamMessage, error) {
	if len(b) > readLimit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBadStreamMessage, readLimit)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrBadStreamMessage)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var m StreamMessage
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadStreamMessage, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrBadStreamMessage)
	}
	switch {
	case m.Type != "SYSTEM" && m.Type != "EVENT" && m.Type != "CALLBACK":
		return nil, fmt.Errorf("%w: type %q is not SYSTEM, EVENT or CALLBACK", ErrBadStreamMessage, m.Type)
	case m.Headers.MessageID == "":
		return nil, fmt.Errorf("%w: headers.messageId is missing", ErrBadStreamMessage)
	case len(m.Headers.MessageID) > MaxMessageID:
		return nil, fmt.Errorf("%w: headers.messageId is longer than %d bytes", ErrBadStreamMessage, MaxMessageID)
	case m.Headers.Topic == "":
		return nil, fmt.Errorf("%w: headers.topic is missing", ErrBadStreamMessage)
	}
	return &m, nil
}

// streamAck is the answer to one stream message.
type streamAck struct {
	Code    int               `json:"code"`
	Headers map[string]string `json:"headers"`
	Message string            `json:"message"`
	Data    string            `json:"data"`
}

func (c *DingTalk) ack(ctx context.Context, s *session, id string, code int, message, data string) {
	a := streamAck{Code: code, Headers: map[string]string{"contentType": "application/json", "messageId": id}, Message: message, Data: data}
	if err := s.send(ctx, a); err != nil {
		discard(c.Log).Warn("dingtalk stream: acknowledgement failed; DingTalk will send the message again", "message_id", id, "error", err)
	}
}

// handle acts on one message and acknowledges it.
func (c *DingTalk) handle(ctx context.Context, s *session, msg []byte) {
	log := discard(c.Log)
	m, err := DecodeStreamMessage(msg)
	if err != nil {
		log.Warn("dingtalk stream: unusable message", "error", err)
		return
	}
	id := m.Headers.MessageID
	switch {
	case m.Type == "SYSTEM" && m.Headers.Topic == "ping":
		// The answer carries the ping's data (its opaque) back.
		c.ack(ctx, s, id, http.StatusOK, "OK", m.Data)
	case m.Type == "SYSTEM" && m.Headers.Topic == "disconnect":
		log.Info("dingtalk stream: the gateway asked to reconnect")
		c.ack(ctx, s, id, http.StatusOK, "OK", "")
		s.askRefresh()
	case m.Type == "CALLBACK" && m.Headers.Topic == DingTalkBotTopic:
		err := c.Messages.RobotMessage(ctx, []byte(m.Data))
		switch {
		case err == nil:
			c.ack(ctx, s, id, http.StatusOK, "OK", `{"response":null}`)
		case errors.Is(err, ErrRejected):
			log.Warn("dingtalk stream: robot message refused", "message_id", id, "error", err)
			c.ack(ctx, s, id, http.StatusBadRequest, cut(err.Error(), 200), "")
		default:
			log.Error("dingtalk stream: robot message not taken; DingTalk will send it again", "message_id", id, "error", err)
		}
	default:
		// Nothing else is subscribed; acknowledge so it is not resent.
		log.Debug("dingtalk stream: message acknowledged and ignored", "type", m.Type, "topic", m.Headers.Topic)
		c.ack(ctx, s, id, http.StatusNotFound, "no handler for this topic", "")
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
