package contact_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// bundle is a service with SMS through the fake End User Messaging SMS
// and email through the fake SES, and the users sato (ja) and kim.
type bundle struct {
	svc *contact.Service
	sms *fake.SMS
	ses *fake.SES
	clk *clock
	st  *store.Store
}

func newBundle(t *testing.T, st *store.Store) *bundle {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: epoch}
	fs := fake.NewSMS(t, fake.WithClock(clk.Now))
	fe := fake.NewSES(t, fake.WithClock(clk.Now))
	smsS, err := contact.NewSMS(ctx, contact.SMSConfig{OriginationIdentity: fake.SMSDefaultOriginationPhone, ConfigurationSet: fake.SMSDefaultConfigurationSet},
		contact.AWSOptions{Region: fs.Region(), Endpoint: fs.URL(), Credentials: fs.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := contact.NewEmail(ctx, contact.EmailConfig{From: fake.SESDefaultFrom, ConfigurationSet: fake.SESDefaultConfigurationSet},
		contact.AWSOptions{Region: fe.Region(), Endpoint: fe.URL(), Credentials: fe.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(st, clk.Now)
	for _, n := range []string{"sato", "kim"} {
		if _, err := a.AddUser(ctx, n, auth.RoleResponder, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := a.GetUser(ctx, "sato")
	if err := a.SetProfile(ctx, u.ID, "ja", ""); err != nil {
		t.Fatal(err)
	}
	svc := contact.New(st, contact.Options{
		Now:     clk.Now,
		Senders: map[string]contact.Sender{contact.KindSMS: smsS, contact.KindEmail: mail},
		Destinations: func(name string) (string, bool) {
			switch name {
			case "ops-slack":
				return "slack", true
			case "ops-ding":
				return "dingtalk", true
			case "ops-teams":
				return "teams", true
			}
			return "", false
		},
	})
	return &bundle{svc: svc, sms: fs, ses: fe, clk: clk, st: st}
}

var codeRE = regexp.MustCompile(`\b([0-9]{6})\b`)

// lastCode reads the code of the last text message to number.
func (b *bundle) lastCode(t *testing.T, number string) string {
	t.Helper()
	ms := b.sms.MessagesTo(number)
	if len(ms) == 0 {
		t.Fatalf("no text message to %s", number)
	}
	m := codeRE.FindStringSubmatch(ms[len(ms)-1].MessageBody)
	if m == nil {
		t.Fatalf("no code in %q", ms[len(ms)-1].MessageBody)
	}
	return m[1]
}

func field(err error) string {
	var ve *contact.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

func (b *bundle) add(t *testing.T, user string, in contact.NewMethod) contact.Detail {
	t.Helper()
	d, err := b.svc.AddMethod(context.Background(), user, in)
	if err != nil {
		t.Fatalf("add %+v: %v", in, err)
	}
	return d
}

// verify sends a code to an sms method and confirms it.
func (b *bundle) verify(t *testing.T, user string, d contact.Detail) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.svc.SendCode(ctx, user, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Confirm(ctx, user, d.ID, b.lastCode(t, d.Address)); err != nil {
		t.Fatal(err)
	}
}

// TestVerification: a code goes out by SMS in the user's language through
// the configured number and configuration set, with the key in its
// context; the right code verifies; the code is stored hashed.
func TestVerification(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBundle(t, st)
		ctx := context.Background()
		d := b.add(t, "sato", contact.NewMethod{Kind: "sms", Label: "mobile", Address: "+81 90-1234-5678"})
		if d.Address != "+819012345678" || d.Verified || d.User != "sato" {
			t.Fatalf("added %+v", d)
		}
		exp, err := b.svc.SendCode(ctx, "sato", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !exp.Equal(epoch.Add(10 * time.Minute)) {
			t.Errorf("expires %v", exp)
		}
		ms := b.sms.MessagesTo("+819012345678")
		if len(ms) != 1 {
			t.Fatalf("messages %+v", ms)
		}
		m := ms[0]
		if m.MessageType != "TRANSACTIONAL" || m.OriginationIdentity != fake.SMSDefaultOriginationPhone || m.ConfigurationSetName != fake.SMSDefaultConfigurationSet ||
			!strings.HasPrefix(m.Context["opsdesk_key"], "code:") || !strings.Contains(m.MessageBody, "確認コード") {
			t.Errorf("message %+v", m)
		}
		code := b.lastCode(t, "+819012345678")
		var stored string
		if err := st.R.QueryRow(st.Q(`SELECT code_hash FROM contact_methods WHERE id = ?`), d.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == "" || strings.Contains(stored, code) {
			t.Errorf("stored code %q (code %s)", stored, code)
		}
		b.clk.Advance(9 * time.Minute)
		if err := b.svc.Confirm(ctx, "sato", d.ID, code); err != nil {
			t.Fatal(err)
		}
		got, err := b.svc.MethodDetail(ctx, "sato", d.ID)
		if err != nil || !got.Verified || !got.VerifiedAt.Equal(epoch.Add(9*time.Minute)) || !got.CodeExpiresAt.IsZero() {
			t.Fatalf("after confirm %+v %v", got, err)
		}
		// The code is used up.
		if err := b.svc.Confirm(ctx, "sato", d.ID, code); field(err) != "code" {
			t.Errorf("second confirm: %v", err)
		}
		// kim cannot see or confirm sato's method.
		if _, err := b.svc.MethodDetail(ctx, "kim", d.ID); !errors.Is(err, contact.ErrNotFound) {
			t.Errorf("kim reads sato's method: %v", err)
		}
		if err := b.svc.DeleteMethod(ctx, "kim", d.ID); !errors.Is(err, contact.ErrNotFound) {
			t.Errorf("kim deletes sato's method: %v", err)
		}
	})
}

// TestVerificationLimits: wrong codes count tries (5, then a new code is
// needed), codes expire after 10 minutes, a method gets one code a minute.
func TestVerificationLimits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBundle(t, st)
		ctx := context.Background()
		d := b.add(t, "kim", contact.NewMethod{Kind: "sms", Address: "+821012345678"})
		if _, err := b.svc.SendCode(ctx, "kim", d.ID); err != nil {
			t.Fatal(err)
		}
		code := b.lastCode(t, d.Address)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		// Rate limit: a second code within the minute is refused.
		b.clk.Advance(59 * time.Second)
		var ts *contact.TooSoonError
		if _, err := b.svc.SendCode(ctx, "kim", d.ID); !errors.As(err, &ts) || ts.Wait != time.Second {
			t.Fatalf("second code within a minute: %v", err)
		}
		if n := len(b.sms.Messages()); n != 1 {
			t.Fatalf("%d messages", n)
		}
		// Four wrong tries leave one.
		for i := 1; i <= 4; i++ {
			err := b.svc.Confirm(ctx, "kim", d.ID, wrong)
			if field(err) != "code" || !strings.Contains(err.Error(), "tries left") {
				t.Fatalf("wrong try %d: %v", i, err)
			}
		}
		// The fifth is the last; then even the right code is refused.
		if err := b.svc.Confirm(ctx, "kim", d.ID, "12"); field(err) != "code" || !strings.Contains(err.Error(), "last try") {
			t.Fatalf("fifth wrong try: %v", err)
		}
		if err := b.svc.Confirm(ctx, "kim", d.ID, code); field(err) != "code" {
			t.Fatalf("right code after 5 wrong: %v", err)
		}
		// A new code a minute later works.
		b.clk.Advance(time.Second)
		if _, err := b.svc.SendCode(ctx, "kim", d.ID); err != nil {
			t.Fatal(err)
		}
		code2 := b.lastCode(t, d.Address)
		// Expiry: 10 minutes.
		b.clk.Advance(10 * time.Minute)
		if err := b.svc.Confirm(ctx, "kim", d.ID, code2); field(err) != "code" || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired code: %v", err)
		}
		if got, _ := b.svc.MethodDetail(ctx, "kim", d.ID); got.Verified {
			t.Fatal("verified by refused codes")
		}
		if _, err := b.svc.SendCode(ctx, "kim", d.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Confirm(ctx, "kim", d.ID, " "+b.lastCode(t, d.Address)+" "); err != nil {
			t.Fatal(err)
		}
		// A refused send (an opted-out number) leaves no rate limit.
		d2 := b.add(t, "kim", contact.NewMethod{Kind: "sms", Address: "+821099998888"})
		b.sms.OptOut("+821099998888")
		if _, err := b.svc.SendCode(ctx, "kim", d2.ID); err == nil || !contact.NotSent(err) {
			t.Fatalf("opted out: %v", err)
		}
		if _, err := b.svc.SendCode(ctx, "kim", d2.ID); errors.As(err, &ts) {
			t.Fatalf("a send that went nowhere counts against the limit: %v", err)
		}
	})
}

// TestSendTest: only verified methods; one a minute; email arrives with
// subject and body in the method's language.
func TestSendTest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBundle(t, st)
		ctx := context.Background()
		d := b.add(t, "sato", contact.NewMethod{Kind: "email", Address: "Sato@Example.COM", Language: "en"})
		if d.Address != "Sato@example.com" {
			t.Fatalf("address %q", d.Address)
		}
		if _, err := b.svc.SendTest(ctx, "sato", d.ID); field(err) != "method" {
			t.Fatalf("test to an unverified method: %v", err)
		}
		if _, err := b.svc.SendCode(ctx, "sato", d.ID); err != nil {
			t.Fatal(err)
		}
		ms := b.ses.MessagesTo("Sato@example.com")
		if len(ms) != 1 || ms[0].Subject != "opsdesk verification code" || ms[0].ConfigurationSetName != fake.SESDefaultConfigurationSet {
			t.Fatalf("code mail %+v", ms)
		}
		code := codeRE.FindString(ms[0].Text)
		if err := b.svc.Confirm(ctx, "sato", d.ID, code); err != nil {
			t.Fatal(err)
		}
		rc, err := b.svc.SendTest(ctx, "sato", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		ms = b.ses.MessagesTo("Sato@example.com")
		if len(ms) != 2 || ms[1].MessageID != rc.Ref || ms[1].Subject != "opsdesk test notification" || !strings.Contains(ms[1].Text, "on call") {
			t.Fatalf("test mail %+v (receipt %v)", ms, rc)
		}
		var ts *contact.TooSoonError
		if _, err := b.svc.SendTest(ctx, "sato", d.ID); !errors.As(err, &ts) {
			t.Fatalf("second test at once: %v", err)
		}
		b.clk.Advance(time.Minute)
		if _, err := b.svc.SendTest(ctx, "sato", d.ID); err != nil {
			t.Fatal(err)
		}
		// No chat sender configured: the method can be added, not verified.
		c := b.add(t, "sato", contact.NewMethod{Kind: "chat", Address: "U012ABCDEF", Destination: "ops-slack"})
		if _, err := b.svc.SendCode(ctx, "sato", c.ID); err == nil || !contact.NotSent(err) {
			t.Fatalf("code without a sender: %v", err)
		}
	})
}

// TestAddMethodValidation: errors name the field.
func TestAddMethodValidation(t *testing.T) {
	t.Parallel()
	b := newBundle(t, storetest.New(t, store.SQLite))
	ctx := context.Background()
	for _, tt := range []struct {
		in    contact.NewMethod
		field string
	}{
		{contact.NewMethod{Kind: "pager", Address: "x"}, "kind"},
		{contact.NewMethod{Kind: "sms", Address: "090-1234-5678"}, "address"},
		{contact.NewMethod{Kind: "voice", Address: ""}, "address"},
		{contact.NewMethod{Kind: "email", Address: "Sato <sato@example.com>"}, "address"},
		{contact.NewMethod{Kind: "email", Address: "sato@localhost"}, "address"},
		{contact.NewMethod{Kind: "chat", Address: "U012ABCDEF"}, "destination"},
		{contact.NewMethod{Kind: "chat", Address: "U012ABCDEF", Destination: "nowhere"}, "destination"},
		{contact.NewMethod{Kind: "chat", Address: "U012ABCDEF", Destination: "ops-teams"}, "destination"},
		{contact.NewMethod{Kind: "chat", Address: "sato", Destination: "ops-slack"}, "address"},
		{contact.NewMethod{Kind: "chat", Address: "@all", Destination: "ops-ding"}, "address"},
		{contact.NewMethod{Kind: "sms", Address: "+819012345678", Destination: "ops-slack"}, "destination"},
		{contact.NewMethod{Kind: "sms", Address: "+819012345678", Label: "a\nb"}, "label"},
		{contact.NewMethod{Kind: "sms", Address: "+819012345678", Language: "fr"}, "language"},
	} {
		if _, err := b.svc.AddMethod(ctx, "sato", tt.in); field(err) != tt.field {
			t.Errorf("%+v: %v, want field %s", tt.in, err, tt.field)
		}
	}
	b.add(t, "sato", contact.NewMethod{Kind: "chat", Address: "13800000000", Destination: "ops-ding"})
	b.add(t, "sato", contact.NewMethod{Kind: "chat", Address: "manager4711", Destination: "ops-ding"})
	if _, err := b.svc.AddMethod(ctx, "sato", contact.NewMethod{Kind: "chat", Address: "manager4711", Destination: "ops-ding"}); field(err) != "address" {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := b.svc.AddMethod(ctx, "nobody", contact.NewMethod{Kind: "sms", Address: "+819012345678"}); !errors.Is(err, contact.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

// TestRulesAndPlan: rules are validated; Plan orders by delay, filters by
// severity, skips unverified methods, and without rules gives every
// verified method at once.
func TestRulesAndPlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBundle(t, st)
		ctx := context.Background()
		smsM := b.add(t, "sato", contact.NewMethod{Kind: "sms", Address: "+819011112222"})
		mailM := b.add(t, "sato", contact.NewMethod{Kind: "email", Address: "sato@example.com"})
		unverified := b.add(t, "sato", contact.NewMethod{Kind: "sms", Address: "+819033334444"})
		kims := b.add(t, "kim", contact.NewMethod{Kind: "sms", Address: "+821055556666"})

		// Nothing verified: no plan.
		if p, err := b.svc.Plan(ctx, "sato", "critical"); err != nil || len(p) != 0 {
			t.Fatalf("plan before verification %+v %v", p, err)
		}
		b.verify(t, "sato", smsM)
		if _, err := b.svc.SendCode(ctx, "sato", mailM.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Confirm(ctx, "sato", mailM.ID, codeRE.FindString(b.ses.Messages()[0].Text)); err != nil {
			t.Fatal(err)
		}
		b.verify(t, "kim", kims)

		// Default: every verified method at delay 0, in order.
		p, err := b.svc.Plan(ctx, "sato", "warning")
		if err != nil || len(p) != 2 || p[0].Method.ID != smsM.ID || p[1].Method.ID != mailM.ID || p[0].Delay != 0 || p[1].Delay != 0 || !p[0].Method.Verified || p[0].Method.User != "sato" {
			t.Fatalf("default plan %+v %v", p, err)
		}

		for _, tt := range []struct {
			rules []contact.Rule
			field string
		}{
			{[]contact.Rule{{MethodID: smsM.ID, Delay: -time.Second}}, "rules[0].delay"},
			{[]contact.Rule{{MethodID: smsM.ID, Delay: 25 * time.Hour}}, "rules[0].delay"},
			{[]contact.Rule{{MethodID: smsM.ID}, {MethodID: smsM.ID, Delay: time.Minute, Severities: []string{"urgent"}}}, "rules[1].severities"},
			{[]contact.Rule{{MethodID: smsM.ID}, {MethodID: smsM.ID}}, "rules[1].delay"},
			{[]contact.Rule{{MethodID: unverified.ID}}, "rules[0].method_id"},
			{[]contact.Rule{{MethodID: smsM.ID}, {MethodID: kims.ID}}, "rules[1].method_id"},
			{[]contact.Rule{{MethodID: 99999}}, "rules[0].method_id"},
		} {
			if _, err := b.svc.ReplaceRules(ctx, "sato", tt.rules); field(err) != tt.field {
				t.Errorf("%+v: %v, want %s", tt.rules, err, tt.field)
			}
		}
		if rs, _ := b.svc.Rules(ctx, "sato"); len(rs) != 0 {
			t.Fatalf("refused rules were stored: %+v", rs)
		}

		// Email at once, SMS after 1 minute for critical only, SMS again
		// after 5 minutes for everything.
		rs, err := b.svc.ReplaceRules(ctx, "sato", []contact.Rule{
			{MethodID: smsM.ID, Delay: 5 * time.Minute},
			{MethodID: smsM.ID, Delay: time.Minute, Severities: []string{"Critical", "critical"}},
			{MethodID: mailM.ID, Delay: 0, Severities: []string{"critical", "unspecified", "warning"}},
		})
		if err != nil || len(rs) != 3 || rs[0].MethodID != mailM.ID || strings.Join(rs[0].Severities, ",") != "critical,warning,unspecified" ||
			rs[1].Delay != time.Minute || strings.Join(rs[1].Severities, ",") != "critical" || len(rs[2].Severities) != 0 {
			t.Fatalf("rules %+v %v", rs, err)
		}
		plan := func(sev string) string {
			p, err := b.svc.Plan(ctx, "sato", sev)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range p {
				out = append(out, x.Method.Kind+"@"+x.Delay.String())
			}
			return strings.Join(out, " ")
		}
		for sev, want := range map[string]string{
			"critical": "email@0s sms@1m0s sms@5m0s",
			"warning":  "email@0s sms@5m0s",
			"info":     "sms@5m0s",
			"":         "email@0s sms@5m0s",
			"bogus":    "email@0s sms@5m0s",
		} {
			if got := plan(sev); got != want {
				t.Errorf("plan(%q) = %q, want %q", sev, got, want)
			}
		}
		// Deleting a method deletes its rules.
		if err := b.svc.DeleteMethod(ctx, "sato", mailM.ID); err != nil {
			t.Fatal(err)
		}
		if got := plan("critical"); got != "sms@1m0s sms@5m0s" {
			t.Errorf("after delete: %q", got)
		}
		if p, err := b.svc.Plan(ctx, "nobody", "critical"); err != nil || len(p) != 0 {
			t.Errorf("unknown user: %v %v", p, err)
		}
	})
}

func contactNewSMS(number string) contact.NewMethod {
	return contact.NewMethod{Kind: contact.KindSMS, Address: number}
}
