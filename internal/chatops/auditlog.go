package chatops

import (
	"context"
	"strings"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/chatops/command"
)

// chatActor is the sender of a message, for the audit log: the name the
// platform shows, and the platform with the sender's id as the source.
func chatActor(o Origin) audit.Actor {
	name := o.SenderName
	if name == "" {
		name = o.SenderID
	}
	return audit.Actor{Name: name, Kind: audit.KindChat, Source: strings.TrimSpace(o.Platform + " " + o.SenderID)}
}

// changeActions are the audit actions of the commands that change a case.
var changeActions = map[command.Kind]string{
	command.KindCreate:  "chat.case_create",
	command.KindResolve: "chat.case_resolve",
	command.KindReply:   "chat.case_reply",
}

// recordCommand writes a command that finished OK with an effect on a case
// to the audit log. Read-only commands, refused and failed ones stay in
// chat_audit only.
func (s *Service) recordCommand(ctx context.Context, o Origin, kind command.Kind, r reply) {
	action, ok := changeActions[kind]
	if !ok || r.result != ResultOK || s.Audit == nil {
		return
	}
	target := "case " + r.caseID
	if r.caseID == "" {
		target = "case"
	}
	detail := r.detail
	if o.ConversationTitle != "" {
		detail = strings.TrimSpace("in " + o.ConversationTitle + "; " + detail)
	}
	_ = s.Audit.RecordAs(ctx, chatActor(o), action, target, detail)
}
