package actionlink

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testService(key string, clk *clock) *Service {
	return newService(nil, []byte(key), Options{BaseURL: "https://ops.example.com/", Now: clk.Now})
}

func tokenOf(t *testing.T, url string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(url, "https://ops.example.com/a/")
	if !ok {
		t.Fatalf("link %q is not under base_url/a/", url)
	}
	return tok
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 12, 7, 3, 0, 0, 500, time.UTC)}
	s := testService("0123456789abcdef0123456789abcdef", clk)
	ctx := context.Background()
	cases := []Link{
		{AlertID: 1, Action: ActionAck},
		{AlertID: 123456, Action: ActionAck, Channel: ChannelSMS, Recipient: "sato"},
		{AlertID: 987654321, Action: ActionResolve, Channel: ChannelEmail, Recipient: "山田太郎"},
		{AlertID: 42, Action: ActionEscalate, Channel: ChannelSMS, Recipient: "김민준"},
	}
	for _, in := range cases {
		url, err := s.MintFor(ctx, in, 0)
		if err != nil {
			t.Fatalf("mint %+v: %v", in, err)
		}
		tok := tokenOf(t, url)
		got, err := s.Verify(tok)
		if err != nil {
			t.Fatalf("verify %+v: %v", in, err)
		}
		want := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
		if got.AlertID != in.AlertID || got.Action != in.Action || got.Channel != in.Channel || got.Recipient != in.Recipient || !got.Expires.Equal(want) {
			t.Errorf("round trip of %+v gave %+v (expires %s, want %s)", in, got, got.Expires, want)
		}
	}
	// Short enough for an SMS: alert 123456, "sato" by SMS.
	url, _ := s.MintFor(ctx, cases[1], 0)
	if n := len(tokenOf(t, url)); n > 60 {
		t.Errorf("token is %d characters, want at most 60", n)
	}
	// Every link is distinct (the nonce), even for the same alert and action.
	a, _ := s.Mint(ctx, 7, ActionAck, 0)
	b, _ := s.Mint(ctx, 7, ActionAck, 0)
	if a == b {
		t.Error("two links for the same alert and action are the same")
	}
	// A long name is cut at a character boundary.
	url, err := s.MintFor(ctx, Link{AlertID: 5, Action: ActionAck, Recipient: strings.Repeat("長", 20)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Verify(tokenOf(t, url))
	if err != nil || l.Recipient != strings.Repeat("長", 10) {
		t.Errorf("long name: %q, %v", l.Recipient, err)
	}
}

func TestMintValidation(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Unix(1800000000, 0)}
	s := testService("0123456789abcdef0123456789abcdef", clk)
	ctx := context.Background()
	for _, c := range []struct {
		l     Link
		ttl   time.Duration
		field string
	}{
		{Link{AlertID: 0, Action: ActionAck}, 0, "alert_id"},
		{Link{AlertID: -3, Action: ActionAck}, 0, "alert_id"},
		{Link{AlertID: 3, Action: "delete"}, 0, "action"},
		{Link{AlertID: 3, Action: ActionAck, Channel: "fax"}, 0, "channel"},
		{Link{AlertID: 3, Action: ActionAck}, MaxTTL + time.Second, "ttl"},
	} {
		_, err := s.MintFor(ctx, c.l, c.ttl)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v ttl %s: %v, want a ValidationError on %s", c.l, c.ttl, err, c.field)
		}
	}
	noBase := newService(nil, []byte("0123456789abcdef"), Options{Now: clk.Now})
	_, err := noBase.Mint(ctx, 3, ActionAck, 0)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "base_url" {
		t.Errorf("without base_url: %v", err)
	}
}

// TestTamper: changing any bit of a token (alert id, action, channel,
// expiry, nonce, recipient, MAC) makes it invalid, and so does a token
// re-signed with another key or cut short.
func TestTamper(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Unix(1800000000, 0)}
	s := testService("0123456789abcdef0123456789abcdef", clk)
	url, err := s.MintFor(context.Background(), Link{AlertID: 123456, Action: ActionAck, Channel: ChannelSMS, Recipient: "sato"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, url)
	raw, err := b64.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for bit := range 8 {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			if l, err := s.Verify(b64.EncodeToString(b)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("byte %d bit %d flipped: %+v, %v", i, bit, l, err)
			}
		}
	}
	// Each field changed and the token re-assembled with the old MAC.
	orig, err := s.c.decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	sum := raw[len(raw)-macLen:]
	for name, change := range map[string]func(l *Link){
		"alert id":  func(l *Link) { l.AlertID = 123457 },
		"action":    func(l *Link) { l.Action = ActionResolve },
		"channel":   func(l *Link) { l.Channel = ChannelEmail },
		"expiry":    func(l *Link) { l.Expires = l.Expires.Add(time.Hour) },
		"nonce":     func(l *Link) { l.nonce[0]++ },
		"recipient": func(l *Link) { l.Recipient = "boss" },
	} {
		l := orig
		change(&l)
		forged := b64.EncodeToString(append(payload(l), sum...))
		if _, err := s.Verify(forged); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	for _, bad := range []string{"", "a", tok[:len(tok)-1], tok + "A", tok + "=", strings.Repeat("A", 200), "../../etc", tok[:10]} {
		if _, err := s.Verify(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(%q): %v", bad, err)
		}
	}
	// Another server's key.
	other := testService("another key of thirty-two bytes!", clk)
	if _, err := other.Verify(tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("another key: %v", err)
	}
	ourOwn, _ := other.Mint(context.Background(), 123456, ActionAck, 0)
	if _, err := s.Verify(tokenOf(t, ourOwn)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a link signed with another key: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Unix(1800000000, 0)}
	s := testService("0123456789abcdef0123456789abcdef", clk)
	url, err := s.Mint(context.Background(), 9, ActionResolve, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, url)
	clk.Add(2*time.Hour - time.Second)
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	clk.Add(time.Second)
	l, err := s.Verify(tok)
	if !errors.Is(err, ErrExpired) || l.AlertID != 9 || l.Action != ActionResolve {
		t.Fatalf("at expiry: %+v, %v", l, err)
	}
	// The default TTL is the configured one.
	s2 := newService(nil, []byte("0123456789abcdef"), Options{BaseURL: "https://ops.example.com", Now: clk.Now, TTL: 15 * time.Minute})
	url, _ = s2.Mint(context.Background(), 9, ActionAck, 0)
	l, _ = s2.Verify(tokenOf(t, url))
	if want := clk.Now().Add(15 * time.Minute); !l.Expires.Equal(want) {
		t.Errorf("expires %s, want %s", l.Expires, want)
	}
}

// TestUse runs on both engines: a link works once; a failed action gives
// it back; a claim left by a crash is taken over after ClaimTimeout; an
// expired link does nothing; every replica shares the key.
func TestUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Unix(1800000000, 0).UTC()}
		s, err := New(ctx, st, Options{BaseURL: "https://ops.example.com", Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		other, err := New(ctx, st, Options{BaseURL: "https://ops.example.com", Now: clk.Now}) // another replica
		if err != nil {
			t.Fatal(err)
		}
		url, err := s.MintFor(ctx, Link{AlertID: 77, Action: ActionAck, Channel: ChannelEmail, Recipient: "sato"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tok := tokenOf(t, url)

		var ran []Link
		act := func(_ context.Context, l Link) error { ran = append(ran, l); return nil }
		// Check changes nothing.
		for range 3 {
			if l, err := other.Check(ctx, tok); err != nil || l.AlertID != 77 {
				t.Fatalf("check: %+v, %v", l, err)
			}
		}
		// A failing action leaves the link usable.
		boom := errors.New("database down")
		if _, err := other.Use(ctx, tok, "192.0.2.1", func(context.Context, Link) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("failing action: %v", err)
		}
		clk.Add(time.Minute)
		l, err := other.Use(ctx, tok, "192.0.2.7", act)
		if err != nil || l.AlertID != 77 || l.Action != ActionAck || l.Channel != ChannelEmail || l.Recipient != "sato" {
			t.Fatalf("use: %+v, %v", l, err)
		}
		if len(ran) != 1 || ran[0].AlertID != 77 {
			t.Fatalf("action ran %d times: %+v", len(ran), ran)
		}
		usedAt := clk.Now()
		clk.Add(time.Minute)
		for _, svc := range []*Service{s, other} {
			_, err = svc.Use(ctx, tok, "198.51.100.9", act)
			var ue *UsedError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUsed) || !ue.At.Equal(usedAt) || ue.From != "192.0.2.7" {
				t.Fatalf("second use: %v", err)
			}
			if _, err := svc.Check(ctx, tok); !errors.Is(err, ErrUsed) {
				t.Fatalf("check after use: %v", err)
			}
		}
		if len(ran) != 1 {
			t.Fatalf("action ran again: %d", len(ran))
		}
		// Used and then expired: still "already used", which says more.
		clk.Add(2 * time.Hour)
		if _, err := s.Check(ctx, tok); !errors.Is(err, ErrUsed) {
			t.Fatalf("used, then expired: %v", err)
		}

		// Expired before use: nothing runs, nothing is recorded.
		url, _ = s.Mint(ctx, 78, ActionResolve, time.Minute)
		tok2 := tokenOf(t, url)
		clk.Add(time.Minute)
		if l, err := s.Use(ctx, tok2, "192.0.2.1", act); !errors.Is(err, ErrExpired) || l.AlertID != 78 {
			t.Fatalf("expired: %+v, %v", l, err)
		}
		if len(ran) != 1 {
			t.Fatal("an expired link acted")
		}

		// A claim left behind by a crash: busy until ClaimTimeout, then
		// taken over.
		url, _ = s.Mint(ctx, 79, ActionEscalate, 0)
		tok3 := tokenOf(t, url)
		if _, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO action_link_uses (token_hash, alert_id, action, used_at, used_from) VALUES (?, ?, ?, ?, ?)`),
			hashToken(tok3), 79, ActionEscalate, store.Millis(clk.Now()), "192.0.2.3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Use(ctx, tok3, "192.0.2.4", act); !errors.Is(err, ErrBusy) {
			t.Fatalf("claimed a moment ago: %v", err)
		}
		if _, err := s.Check(ctx, tok3); !errors.Is(err, ErrBusy) {
			t.Fatalf("check while claimed: %v", err)
		}
		clk.Add(ClaimTimeout)
		if _, err := s.Use(ctx, tok3, "192.0.2.4", act); err != nil {
			t.Fatalf("stale claim: %v", err)
		}
		if len(ran) != 2 || ran[1].AlertID != 79 {
			t.Fatalf("after the stale claim: %+v", ran)
		}

		// Many taps at once: the action runs once.
		url, _ = s.Mint(ctx, 80, ActionAck, 0)
		tok4 := tokenOf(t, url)
		var runs atomic.Int32
		var wg sync.WaitGroup
		var okN atomic.Int32
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := s
				if i%2 == 1 {
					svc = other
				}
				_, err := svc.Use(ctx, tok4, "192.0.2.5", func(context.Context, Link) error { runs.Add(1); return nil })
				switch {
				case err == nil:
					okN.Add(1)
				case errors.Is(err, ErrUsed), errors.Is(err, ErrBusy):
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if runs.Load() != 1 || okN.Load() != 1 {
			t.Fatalf("concurrent taps: action ran %d times, %d succeeded", runs.Load(), okN.Load())
		}
		var n int
		if err := st.R.QueryRowContext(ctx, `SELECT count(*) FROM server_secrets`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("server_secrets rows: %d, %v", n, err)
		}

		// Uses older than any link's life are removed by the next use;
		// such a link is refused as expired.
		clk.Add(MaxTTL + 2*time.Hour)
		url, _ = s.Mint(ctx, 81, ActionAck, 0)
		if _, err := s.Use(ctx, tokenOf(t, url), "192.0.2.6", act); err != nil {
			t.Fatal(err)
		}
		if err := st.R.QueryRowContext(ctx, `SELECT count(*) FROM action_link_uses`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("uses left after the sweep: %d, %v", n, err)
		}
		if _, err := s.Use(ctx, tok, "192.0.2.6", act); !errors.Is(err, ErrExpired) {
			t.Fatalf("an old used link: %v", err)
		}
	})
}
