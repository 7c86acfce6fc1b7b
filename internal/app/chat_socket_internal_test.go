package app

import (
	"context"
	"log/slog"
	"testing"
)

// TestLateInteractions: interactive payloads go to the hook set after the
// chat module was built; without one they are acknowledged empty.
func TestLateInteractions(t *testing.T) {
	t.Parallel()
	a := &App{}
	l := lateInteractions{a: a, log: slog.New(slog.DiscardHandler)}
	if res, err := l.HandleSlackInteraction(context.Background(), []byte(`{}`)); res != "" || err != nil {
		t.Fatalf("without a hook: %q, %v", res, err)
	}
	var got string
	a.slackInteraction = func(_ context.Context, p []byte) (string, error) {
		got = string(p)
		return `{"response_action":"clear"}`, nil
	}
	res, err := l.HandleSlackInteraction(context.Background(), []byte(`{"type":"block_actions"}`))
	if res != `{"response_action":"clear"}` || err != nil || got != `{"type":"block_actions"}` {
		t.Fatalf("with a hook: %q, %v; hook got %q", res, err, got)
	}
}
