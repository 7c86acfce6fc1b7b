package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

// DingTalkStream is DingTalk's Stream mode gateway: POST
// /v1.0/gateway/connections/open with the app's clientId and clientSecret
// and its subscriptions, answered {"endpoint":"ws://…/connect","ticket":…}
// (401 {"code":"InvalidAuthentication",…} for wrong credentials, 400 when
// the robot message topic is not subscribed), and the WebSocket server the
// endpoint names, which takes each ticket once. The test pushes robot
// messages (CALLBACK /v1.0/im/bot/messages/get) and SYSTEM pings and
// disconnects, and waits for the acknowledgements the client writes back.
// Replies go to the sessionWebhook the message carries (DingTalkSession).
type DingTalkStream struct {
	*Server // the gateway's HTTP API
	hub     *wsHub
	id      string
	secret  string
	acks    []DingTalkStreamAck
}

// DingTalkStreamAck is one acknowledgement the client wrote.
type DingTalkStreamAck struct {
	MessageID string
	Code      int
	Message   string
	Data      string
	Conn      int
}

// Default credentials of the stream fake.
const (
	DefaultDingTalkClientID     = "dingfakeclientid"
	DefaultDingTalkClientSecret = "fake-client-secret-0123456789"
)

// NewDingTalkStream starts the fake. Options: WithToken (clientId) and
// WithSecret (clientSecret).
func NewDingTalkStream(t testing.TB, opts ...Option) *DingTalkStream {
	t.Helper()
	f := &DingTalkStream{Server: newServer(t, "dingtalk-stream", opts, dingTalkGatewayError)}
	f.id, f.secret = f.opt.token, f.opt.secret
	if f.id == "" {
		f.id = DefaultDingTalkClientID
	}
	if f.secret == "" {
		f.secret = DefaultDingTalkClientSecret
	}
	f.hub = newWSHub(t, "/connect")
	f.hub.onMessage = func(c *WSConn, msg []byte) {
		var a struct {
			Code    int               `json:"code"`
			Headers map[string]string `json:"headers"`
			Message string            `json:"message"`
			Data    string            `json:"data"`
		}
		if json.Unmarshal(msg, &a) != nil || a.Headers["messageId"] == "" {
			t.Errorf("fake dingtalk stream: the client wrote %q, not an acknowledgement", msg)
			return
		}
		f.acks = append(f.acks, DingTalkStreamAck{MessageID: a.Headers["messageId"], Code: a.Code, Message: a.Message, Data: a.Data, Conn: c.N})
	}
	f.start(f.serve)
	return f
}

func dingTalkGatewayError(status int, msg string) (string, []byte) {
	b, _ := json.Marshal(map[string]string{"code": http.StatusText(status), "message": msg})
	return "application/json", b
}

// ClientID and ClientSecret are the credentials the fake accepts.
func (f *DingTalkStream) ClientID() string     { return f.id }
func (f *DingTalkStream) ClientSecret() string { return f.secret }

func (f *DingTalkStream) serve(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1.0/gateway/connections/open" {
		answer(http.StatusNotFound, map[string]string{"code": "NotFound", "message": "no such API"})
		return
	}
	var req struct {
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret"`
		Subscriptions []struct {
			Type  string `json:"type"`
			Topic string `json:"topic"`
		} `json:"subscriptions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		answer(http.StatusBadRequest, map[string]string{"code": "InvalidParameter", "message": "body is not JSON"})
		return
	}
	if req.ClientID != f.id || req.ClientSecret != f.secret {
		answer(http.StatusUnauthorized, map[string]string{"code": "InvalidAuthentication", "message": "clientId or clientSecret is wrong"})
		return
	}
	if !slices.ContainsFunc(req.Subscriptions, func(s struct {
		Type  string `json:"type"`
		Topic string `json:"topic"`
	}) bool {
		return s.Type == "CALLBACK" && s.Topic == "/v1.0/im/bot/messages/get"
	}) {
		answer(http.StatusBadRequest, map[string]string{"code": "InvalidParameter", "message": "subscriptions has no CALLBACK /v1.0/im/bot/messages/get"})
		return
	}
	ticket := f.hub.issue()
	f.accept(func() {})
	answer(http.StatusOK, map[string]string{"endpoint": f.hub.wsURL() + "/connect", "ticket": ticket})
}

// push sends one stream message on the newest open connection and
// returns its messageId.
func (f *DingTalkStream) push(t testing.TB, typ, topic string, data any) string {
	t.Helper()
	c := f.hub.newest()
	if c == nil {
		t.Fatal("fake dingtalk stream: no open connection to push to")
	}
	return f.pushOn(t, c, typ, topic, "", data)
}

func (f *DingTalkStream) pushOn(t testing.TB, c *WSConn, typ, topic, id string, data any) string {
	t.Helper()
	if id == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	var s string
	switch d := data.(type) {
	case string:
		s = d
	case []byte:
		s = string(d)
	default:
		b, _ := json.Marshal(d)
		s = string(b)
	}
	m := map[string]any{
		"specVersion": "1.0", "type": typ,
		"headers": map[string]string{"appId": "fakeapp", "connectionId": fmt.Sprintf("conn-%d", c.N), "contentType": "application/json",
			"messageId": id, "time": strconv.FormatInt(time.Now().UnixMilli(), 10), "topic": topic},
		"data": s,
	}
	if err := f.hub.write(c, m); err != nil {
		t.Fatalf("fake dingtalk stream: push on connection %d: %v", c.N, err)
	}
	return id
}

// PushRobotMessage sends cb as a robot message (CALLBACK) and returns the
// stream messageId.
func (f *DingTalkStream) PushRobotMessage(t testing.TB, cb DingTalkCallback) string {
	t.Helper()
	return f.push(t, "CALLBACK", "/v1.0/im/bot/messages/get", cb.Body())
}

// PushRobotMessageAs sends cb with a chosen stream messageId, as DingTalk
// redelivers a message it had no acknowledgement for.
func (f *DingTalkStream) PushRobotMessageAs(t testing.TB, id string, cb DingTalkCallback) string {
	t.Helper()
	c := f.hub.newest()
	if c == nil {
		t.Fatal("fake dingtalk stream: no open connection to push to")
	}
	return f.pushOn(t, c, "CALLBACK", "/v1.0/im/bot/messages/get", id, cb.Body())
}

// Push sends any stream message (type, topic, data as given).
func (f *DingTalkStream) Push(t testing.TB, typ, topic string, data any) string {
	t.Helper()
	return f.push(t, typ, topic, data)
}

// Ping sends a SYSTEM ping with an opaque value and returns the messageId
// and the opaque the answer must carry back.
func (f *DingTalkStream) Ping(t testing.TB) (id, opaque string) {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	opaque = hex.EncodeToString(b[:])
	return f.push(t, "SYSTEM", "ping", map[string]string{"opaque": opaque}), opaque
}

// Disconnect sends a SYSTEM disconnect on every open connection; the fake
// keeps the connection until the client closes it.
func (f *DingTalkStream) Disconnect(t testing.TB) {
	t.Helper()
	for _, c := range f.hub.open() {
		f.pushOn(t, c, "SYSTEM", "disconnect", "", map[string]string{"reason": "gateway maintenance"})
	}
}

// Drop cuts every open connection without a close frame.
func (f *DingTalkStream) Drop() { f.hub.drop() }

// Connections returns every WebSocket connection made so far, in order.
func (f *DingTalkStream) Connections() []WSConn { return f.hub.connections() }

// WaitConnections waits until n connections were made in all and open of
// them are still open.
func (f *DingTalkStream) WaitConnections(t testing.TB, n, open int, timeout time.Duration) {
	t.Helper()
	f.hub.waitConnections(t, n, open, timeout)
}

// Acks returns the acknowledgements received so far.
func (f *DingTalkStream) Acks() []DingTalkStreamAck {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	return append([]DingTalkStreamAck(nil), f.acks...)
}

// WaitAck waits for the acknowledgement of a message.
func (f *DingTalkStream) WaitAck(t testing.TB, id string, timeout time.Duration) DingTalkStreamAck {
	t.Helper()
	var got DingTalkStreamAck
	f.hub.waitFor(t, "the acknowledgement of "+id, timeout, func() bool {
		for _, a := range f.acks {
			if a.MessageID == id {
				got = a
				return true
			}
		}
		return false
	})
	return got
}
