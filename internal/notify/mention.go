package notify

import (
	"fmt"
	"regexp"
)

// Mention names the one chat member an on-call notification is for. The
// notify package never mentions anyone by itself (every outside text is
// escaped so it cannot); a Request with a Mention is the one narrow
// exception, and the member must be given in the destination's own form:
//
//   - dingtalk: Mobile (the member's mobile number, digits) or UserID (the
//     member's DingTalk userId). The robot message carries
//     at.atMobiles / at.atUserIds with that one entry, and the text starts
//     with the matching "@…" so DingTalk highlights it.
//   - slack: UserID, a member id (U… or W…), written as <@U…> before the
//     message.
//
// Other destinations cannot mention (CanMention is false): callers check
// CanMention first, as contact's chat sender does.
type Mention struct {
	Mobile string
	UserID string
}

var (
	mentionMobileRe   = regexp.MustCompile(`^\+?[0-9]{5,20}$`)
	mentionDingUserRe = regexp.MustCompile(`^[A-Za-z0-9_\-$.]{1,64}$`)
	mentionSlackRe    = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
)

// mentioner is a sender that honours Request.Mention.
type mentioner interface{ canMention() bool }

// CanMention reports whether s honours Request.Mention (dingtalk, slack).
func CanMention(s Sender) bool {
	m, ok := s.(mentioner)
	return ok && m.canMention()
}

func (*dingtalk) canMention() bool { return true }
func (*slack) canMention() bool    { return true }

// dingtalkMention checks m for DingTalk and returns the "at" object and
// the text that goes before the message.
func dingtalkMention(m *Mention) (map[string]any, string, error) {
	switch {
	case m.Mobile != "" && m.UserID != "":
		return nil, "", fmt.Errorf("mention: give a mobile or a user id, not both")
	case m.Mobile != "":
		if !mentionMobileRe.MatchString(m.Mobile) {
			return nil, "", fmt.Errorf("mention: %q is not a mobile number", m.Mobile)
		}
		return map[string]any{"atMobiles": []string{m.Mobile}, "isAtAll": false}, "@" + m.Mobile, nil
	case m.UserID != "":
		if !mentionDingUserRe.MatchString(m.UserID) {
			return nil, "", fmt.Errorf("mention: %q is not a DingTalk user id", m.UserID)
		}
		return map[string]any{"atUserIds": []string{m.UserID}, "isAtAll": false}, "@" + m.UserID, nil
	}
	return nil, "", fmt.Errorf("mention: no member")
}

// slackMention checks m for Slack and returns the mention markup.
func slackMention(m *Mention) (string, error) {
	if m.Mobile != "" || !mentionSlackRe.MatchString(m.UserID) {
		return "", fmt.Errorf("mention: %q is not a Slack member id (U… or W…)", m.UserID)
	}
	return "<@" + m.UserID + ">", nil
}
