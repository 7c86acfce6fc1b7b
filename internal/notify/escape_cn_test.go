package notify_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/notify/notifytest"
)

func TestEscapeLarkWeComSamples(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		format string
		escape func(string) string
	}{
		{notifytest.Lark, notify.EscapeLark},
		{notifytest.WeCom, notify.EscapeWeCom},
	} {
		for _, s := range append(notifytest.Samples, notifytest.Text(), notifytest.Line()) {
			got := f.escape(s)
			notifytest.Check(t, f.format, fmt.Sprintf("escape of %q", s), got, []string{s})
			if shown := notifytest.Shown(f.format, got); shown != s {
				t.Errorf("%s: %q shows as %q", f.format, s, shown)
			}
		}
	}
	// Spot checks of the forms.
	for in, want := range map[string]string{
		`<at user_id="all">所有人</at>`: "&lt;\u200bat user&#95;id=\"all\"&gt;所有人&lt;\u200b/at&gt;",
		"@all":                       "@\u200ball",
		"- item":                     "&#45; item",
		"12. x":                      "12&#46; x",
	} {
		if got := notify.EscapeLark(in); got != want {
			t.Errorf("EscapeLark(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := notify.EscapeWeCom("<@zhangsan> [x](y)"), "\\<\u200b@\u200bzhangsan\\> \\[x\\]\u200b(y)"; got != want {
		t.Errorf("EscapeWeCom = %q, want %q", got, want)
	}
}

func FuzzEscapeLark(f *testing.F)  { fuzzEscape(f, notifytest.Lark, notify.EscapeLark) }
func FuzzEscapeWeCom(f *testing.F) { fuzzEscape(f, notifytest.WeCom, notify.EscapeWeCom) }

// TestHostileLarkWeCom sends each kind of message, full of hostile text,
// to a Lark bot and a WeCom robot (as TestHostileEveryDestination does for
// the other destinations) and checks what the fakes received.
func TestHostileLarkWeCom(t *testing.T) {
	t.Parallel()
	own := "https://desk.example.com/x/1"
	for _, k := range hostileKinds() {
		t.Run(k.kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			lk := fake.NewLark(t, fake.WithSecret(larkSecret), fake.WithKeyword("opsdesk"))
			if _, err := larkSender(t, lk, larkSecret).Send(ctx, k.req); err != nil {
				t.Fatalf("lark: %v", err)
			}
			m := lk.Messages()[0]
			notifytest.CheckLark(t, k.kind, m, k.want)
			if len(m.Buttons) != 1 || m.Buttons[0] != own {
				t.Errorf("lark: buttons %q", m.Buttons)
			}
			wc := fake.NewWeCom(t)
			if _, err := wecomSender(t, wc).Send(ctx, k.req); err != nil {
				t.Fatalf("wecom: %v", err)
			}
			notifytest.CheckWeCom(t, k.kind, wc.Messages()[0], k.want, "[Open in console]("+own)
		})
	}
}
