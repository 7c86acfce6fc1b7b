package actionlink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzToken: Verify never panics, accepts only what the key signed, and a
// token it accepts is the one encoding of its link.
func FuzzToken(f *testing.F) {
	clk := &clock{t: time.Unix(1800000000, 0)}
	s := testService("0123456789abcdef0123456789abcdef", clk)
	for _, l := range []Link{
		{AlertID: 1, Action: ActionAck},
		{AlertID: 123456, Action: ActionAck, Channel: ChannelSMS, Recipient: "sato"},
		{AlertID: 1 << 40, Action: ActionEscalate, Channel: ChannelEmail, Recipient: "山田"},
	} {
		url, err := s.MintFor(context.Background(), l, 0)
		if err != nil {
			f.Fatal(err)
		}
		tok, _ := strings.CutPrefix(url, "https://ops.example.com/a/")
		f.Add(tok)
		f.Add(tok[:len(tok)-2])
	}
	f.Add("")
	f.Add("AAAA")
	f.Add("____________________________________________")
	f.Fuzz(func(t *testing.T, tok string) {
		l, err := s.Verify(tok)
		if errors.Is(err, ErrInvalid) {
			return
		}
		if err != nil && !errors.Is(err, ErrExpired) {
			t.Fatalf("Verify(%q): unexpected error %v", tok, err)
		}
		if got := s.c.encode(l); got != tok {
			t.Fatalf("Verify(%q) accepted a token that encodes as %q", tok, got)
		}
		if l.AlertID <= 0 || actionCodes[l.Action] == 0 || len(l.Recipient) > MaxRecipient {
			t.Fatalf("Verify(%q) gave %+v", tok, l)
		}
	})
}
