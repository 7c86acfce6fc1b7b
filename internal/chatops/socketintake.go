package chatops

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/opsdesk/opsdesk/internal/chatops/chatsocket"
	"github.com/opsdesk/opsdesk/internal/jobs"
)

// SocketIntake queues the commands that arrive over Slack Socket Mode and
// DingTalk Stream mode as the HTTP hooks queue theirs: the same jobs
// (unique by trigger id or msgId, so a message delivered again, or to two
// replicas, runs once), the same checks of the payload, the replies
// through the outbox. The connections are authenticated by the one-time
// URLs the platforms hand out for the app's credentials, so there is no
// request signature to check.
type SocketIntake struct {
	Queue jobs.Queue
	// SlackAck is the text of Slack's immediate answer ("working on it").
	SlackAck string
	Now      func() time.Time
	Log      *slog.Logger
}

var (
	_ chatsocket.SlackCommands    = (*SocketIntake)(nil)
	_ chatsocket.DingTalkMessages = (*SocketIntake)(nil)
)

// SlashCommand implements chatsocket.SlackCommands.
func (s *SocketIntake) SlashCommand(ctx context.Context, form url.Values, envelopeID string) (any, error) {
	cmd, err := ParseSlashCommand(form, "env-"+envelopeID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", chatsocket.ErrRejected, err)
	}
	if _, err := s.Queue.Insert(ctx, SlackArgs{ID: cmd.ID, Cmd: *cmd, ReceivedAt: s.Now().UnixMilli()}, nil); err != nil {
		return nil, fmt.Errorf("chatops: queue slash command %s: %w", cmd.ID, err)
	}
	s.log().Info("slack command queued", "id", cmd.ID, "channel", cmd.ChannelID, "via", "socket")
	return map[string]string{"response_type": "ephemeral", "text": s.SlackAck}, nil
}

// RobotMessage implements chatsocket.DingTalkMessages.
func (s *SocketIntake) RobotMessage(ctx context.Context, data []byte) error {
	cb, err := DecodeCallback(data)
	if err != nil {
		return fmt.Errorf("%w: %w", chatsocket.ErrRejected, err)
	}
	if _, err := s.Queue.Insert(ctx, DingTalkArgs{MsgID: cb.MsgID, Msg: *cb, ReceivedAt: s.Now().UnixMilli()}, nil); err != nil {
		return fmt.Errorf("chatops: queue dingtalk message %s: %w", cb.MsgID, err)
	}
	s.log().Info("dingtalk command queued", "msg_id", cb.MsgID, "conversation", cb.ConversationID, "via", "stream")
	return nil
}

func (s *SocketIntake) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
