package chatsocket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
	"github.com/opsdesk/opsdesk/internal/fake"
)

// robot records the robot messages a client hands over.
type robot struct {
	mu   sync.Mutex
	got  []map[string]any
	fail map[string]int // msgId → failures to come
}

func (r *robot) RobotMessage(_ context.Context, data []byte) error {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%w: %v", chatsocket.ErrRejected, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id, _ := m["msgId"].(string)
	if r.fail[id] > 0 {
		r.fail[id]--
		return errors.New("database is down")
	}
	r.got = append(r.got, m)
	return nil
}

func (r *robot) messages() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.got...)
}

func runDingTalk(t *testing.T, f *fake.DingTalkStream, c *chatsocket.DingTalk) {
	t.Helper()
	if c.GatewayURL == "" {
		c.GatewayURL = f.BaseURL()
	}
	if c.ClientID == "" {
		c.ClientID, c.ClientSecret = f.ClientID(), f.ClientSecret()
	}
	if c.Backoff == nil {
		c.Backoff = quick
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func robotMsg(id, text string) fake.DingTalkCallback {
	return fake.DingTalkCallback{MsgID: id, Text: text, SenderStaffID: "staff-1", ConversationID: "cid1",
		SessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=x", SessionExpires: time.Now().Add(time.Hour), CreateAt: time.Now()}
}

func TestDingTalkPingAndMessage(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalkStream(t)
	r := &robot{}
	c := &chatsocket.DingTalk{Messages: r}
	runDingTalk(t, f, c)
	f.WaitConnections(t, 1, 1, wait)

	id, opaque := f.Ping(t)
	a := f.WaitAck(t, id, wait)
	var data map[string]string
	if a.Code != http.StatusOK || json.Unmarshal([]byte(a.Data), &data) != nil || data["opaque"] != opaque {
		t.Fatalf("ping answer = %+v, want code 200 and opaque %s", a, opaque)
	}

	mid := f.PushRobotMessage(t, robotMsg("msg-1", "帮助"))
	if a := f.WaitAck(t, mid, wait); a.Code != http.StatusOK || a.Conn != 1 {
		t.Fatalf("message ack = %+v", a)
	}
	got := r.messages()
	if len(got) != 1 || got[0]["msgId"] != "msg-1" || got[0]["text"].(map[string]any)["content"] != "帮助" {
		t.Fatalf("handed over %v", got)
	}
	// Topics nobody subscribed to, and data that is not a robot message,
	// are acknowledged so that they are not resent.
	ev := f.Push(t, "EVENT", "chat_update_title", map[string]string{"x": "y"})
	if a := f.WaitAck(t, ev, wait); a.Code != http.StatusNotFound {
		t.Fatalf("event ack = %+v", a)
	}
	bad := f.Push(t, "CALLBACK", chatsocket.DingTalkBotTopic, "not json")
	if a := f.WaitAck(t, bad, wait); a.Code != http.StatusBadRequest {
		t.Fatalf("bad message ack = %+v", a)
	}
	if st := c.Status.Snapshot(); !st.Connected || st.Reconnects != 0 {
		t.Fatalf("status = %+v", st)
	}
}

func TestDingTalkReconnectAfterDrop(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalkStream(t)
	r := &robot{}
	c := &chatsocket.DingTalk{Messages: r}
	runDingTalk(t, f, c)
	f.WaitConnections(t, 1, 1, wait)
	f.Drop()
	f.WaitConnections(t, 2, 1, wait)
	mid := f.PushRobotMessage(t, robotMsg("msg-2", "help"))
	if a := f.WaitAck(t, mid, wait); a.Conn != 2 {
		t.Fatalf("ack on %d, want 2", a.Conn)
	}
	// A new ticket per connection: the gateway was asked twice.
	if n := f.Count(); n != 2 {
		t.Fatalf("gateway opened %d times, want 2", n)
	}
	if st := c.Status.Snapshot(); !st.Connected || st.Reconnects != 1 {
		t.Fatalf("status = %+v", st)
	}
}

func TestDingTalkDisconnect(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalkStream(t)
	r := &robot{}
	c := &chatsocket.DingTalk{Messages: r}
	runDingTalk(t, f, c)
	f.WaitConnections(t, 1, 1, wait)
	f.Disconnect(t)
	f.WaitConnections(t, 2, 1, wait)
	conns := f.Connections()
	if conns[1].OthersOpen != 1 || conns[0].CloseStatus != websocket.StatusNormalClosure {
		t.Fatalf("connections = %+v, want the new one made before the old closed normally", conns)
	}
	mid := f.PushRobotMessage(t, robotMsg("msg-3", "help"))
	if a := f.WaitAck(t, mid, wait); a.Conn != 2 {
		t.Fatalf("ack on %d", a.Conn)
	}
}

func TestDingTalkNotCommittedNotAcked(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalkStream(t)
	r := &robot{fail: map[string]int{"msg-f": 1}}
	c := &chatsocket.DingTalk{Messages: r}
	runDingTalk(t, f, c)
	f.WaitConnections(t, 1, 1, wait)
	f.PushRobotMessageAs(t, "stream-f", robotMsg("msg-f", "help"))
	later := f.PushRobotMessage(t, robotMsg("msg-later", "help"))
	f.WaitAck(t, later, wait)
	for _, a := range f.Acks() {
		if a.MessageID == "stream-f" {
			t.Fatalf("a message that was not committed was acknowledged: %+v", a)
		}
	}
	f.PushRobotMessageAs(t, "stream-f", robotMsg("msg-f", "help"))
	if a := f.WaitAck(t, "stream-f", wait); a.Code != http.StatusOK {
		t.Fatalf("redelivery ack = %+v", a)
	}
}

func TestDingTalkBadCredentials(t *testing.T) {
	t.Parallel()
	f := fake.NewDingTalkStream(t)
	c := &chatsocket.DingTalk{ClientID: f.ClientID(), ClientSecret: "s3cr3t-XYZZY", GatewayURL: f.BaseURL(), Messages: &robot{}}
	_, _, err := c.Open(context.Background())
	if !errors.Is(err, chatsocket.ErrAuth) || !strings.Contains(err.Error(), "InvalidAuthentication") || !strings.Contains(err.Error(), "chat.dingtalk.client_id_env") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "XYZZY") {
		t.Fatalf("the error repeats the secret: %v", err)
	}
	runDingTalk(t, f, c)
	deadline := time.Now().Add(wait)
	for !strings.Contains(c.Status.Snapshot().LastError, "InvalidAuthentication") {
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v", c.Status.Snapshot())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(f.Connections()) != 0 {
		t.Fatal("a connection was made with refused credentials")
	}
}

func FuzzDecodeStreamMessage(f *testing.F) {
	for _, s := range []string{
		`{"specVersion":"1.0","type":"SYSTEM","headers":{"messageId":"m1","topic":"ping","contentType":"application/json","time":"1690000000000"},"data":"{\"opaque\":\"x\"}"}`,
		`{"specVersion":"1.0","type":"CALLBACK","headers":{"messageId":"m2","topic":"/v1.0/im/bot/messages/get","time":1690000000000},"data":"{\"msgId\":\"a\"}"}`,
		`{"type":"EVENT","headers":{"messageId":"m3","topic":"x"}}`,
		`{"type":"SYSTEM","headers":{"topic":"disconnect"}}`,
		`{"type":"OTHER","headers":{"messageId":"m","topic":"t"}}`,
		`{"type":"SYSTEM","headers":[]}`, `{"headers":{"messageId":{}}}`, `null`, `{}{}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := chatsocket.DecodeStreamMessage(b)
		if err != nil {
			if !errors.Is(err, chatsocket.ErrBadStreamMessage) {
				t.Fatalf("error %v does not match ErrBadStreamMessage", err)
			}
			return
		}
		if m.Headers.MessageID == "" || m.Headers.Topic == "" || len(m.Headers.MessageID) > chatsocket.MaxMessageID {
			t.Fatalf("accepted %+v", m)
		}
	})
}
