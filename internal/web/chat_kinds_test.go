package web

import (
	"slices"
	"testing"

	"github.com/opsdesk/opsdesk/internal/chatops/command"
)

// TestChatKindsCoverCommands: the chat page's command filter and labels
// know every command the robot understands.
func TestChatKindsCoverCommands(t *testing.T) {
	t.Parallel()
	for _, k := range command.Kinds {
		if !slices.Contains(chatKinds, string(k)) {
			t.Errorf("chat command %q has no label on the chat page", k)
		}
	}
}
