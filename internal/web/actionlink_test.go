package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

const linkBase = "https://ops.example.com"

type linksEnv struct {
	*alertsEnv
	links *actionlink.Service
}

func newLinksEnv(t *testing.T, st *store.Store) *linksEnv {
	t.Helper()
	l := &linksEnv{}
	l.alertsEnv = newAlertsEnv(t, st, testConfig, func(h *Handler) {
		svc, err := actionlink.New(context.Background(), st, actionlink.Options{BaseURL: linkBase, Now: h.now})
		if err != nil {
			t.Fatal(err)
		}
		l.links, h.links = svc, svc
	})
	return l
}

// mint returns the path of a new link.
func (l *linksEnv) mint(id int64, action, channel, who string, ttl time.Duration) string {
	l.t.Helper()
	u, err := l.links.MintFor(context.Background(), actionlink.Link{AlertID: id, Action: action, Channel: channel, Recipient: who}, ttl)
	if err != nil {
		l.t.Fatal(err)
	}
	p, ok := strings.CutPrefix(u, linkBase)
	if !ok || !strings.HasPrefix(p, "/a/") {
		l.t.Fatalf("link %q", u)
	}
	return p
}

func (l *linksEnv) open(key string) int64 {
	l.t.Helper()
	res := l.ingest("test", firing("XYZ", key))
	return res[0].AlertID
}

func (l *linksEnv) get(id int64) *alerts.Alert {
	l.t.Helper()
	a, err := l.svc.Get(context.Background(), id)
	if err != nil {
		l.t.Fatal(err)
	}
	return a
}

// TestActionLinks: GET shows the alert and the button and does not act;
// POST acts once; the next tap says the link was used; an expired link
// does nothing; a forged one is refused, and too many of them from one
// address are rate-limited.
func TestActionLinks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		l := newLinksEnv(t, st)
		id := l.open("db1")
		ids := strconv.FormatInt(id, 10)
		path := l.mint(id, actionlink.ActionAck, actionlink.ChannelSMS, "sato", 0)
		b := l.browser("203.0.113.10")

		// Scanners and unfurlers fetch the link: nothing happens.
		for range 3 {
			r := b.get(path + "?lang=en")
			r.want(t, http.StatusOK, "Acknowledge alert #"+ids+"?", "Disk full on db1", "XYZ", `data-autosubmit`, "/static/actionlink.js",
				`action="`+path+`?lang=en"`, ">Acknowledge</button>")
			if r.header.Get("X-Robots-Tag") == "" || !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Fatalf("headers %v", r.header)
			}
		}
		if a := l.get(id); a.Status == alerts.StatusAcknowledged {
			t.Fatal("GET acknowledged the alert")
		}
		// The static script the page loads is served.
		b.get("/static/actionlink.js").want(t, http.StatusOK, "form[data-autosubmit]")

		// The tap.
		r := b.post(path+"?lang=en", nil)
		r.want(t, http.StatusOK, "Alert #"+ids+" is acknowledged.", "sato (SMS link)")
		a := l.get(id)
		if a.Status != alerts.StatusAcknowledged || a.AckedBy != "sato (SMS link)" {
			t.Fatalf("after the tap: %s by %q", a.Status, a.AckedBy)
		}
		ackedAt := a.AckedAt

		// Again (a reload, another tap, another person): already used.
		l.clock.Advance(time.Minute)
		r = b.post(path+"?lang=en", nil)
		r.want(t, http.StatusConflict, "This link was used already.", "sato (SMS link)", "Link used")
		r.wantNot(t, "data-autosubmit")
		l.browser("198.51.100.2").get(path+"?lang=en").want(t, http.StatusConflict, "This link was used already.")
		if a := l.get(id); !a.AckedAt.Equal(ackedAt) {
			t.Fatal("the second tap acted")
		}

		// Expired: does nothing, says so.
		id2 := l.open("db2")
		path2 := l.mint(id2, actionlink.ActionResolve, actionlink.ChannelEmail, "suzuki", time.Hour)
		l.clock.Advance(time.Hour)
		b.get(path2+"?lang=en").want(t, http.StatusGone, "This link has expired and did nothing.", "Disk full on db2", `href="/alerts/`+strconv.FormatInt(id2, 10)+`"`)
		b.post(path2+"?lang=en", nil).want(t, http.StatusGone, "This link has expired")
		if a := l.get(id2); a.Status == alerts.StatusResolved {
			t.Fatal("an expired link resolved the alert")
		}

		// Resolve by email; then an escalate link for the resolved alert
		// fails and stays usable (its claim is given back).
		path3 := l.mint(id2, actionlink.ActionResolve, actionlink.ChannelEmail, "suzuki", 0)
		b.post(path3+"?lang=en", nil).want(t, http.StatusOK, "Alert #"+strconv.FormatInt(id2, 10)+" is resolved.")
		if a := l.get(id2); a.Status != alerts.StatusResolved || a.ResolvedBy != "suzuki (email link)" {
			t.Fatalf("resolved by %q (%s)", a.ResolvedBy, a.Status)
		}
		path4 := l.mint(id2, actionlink.ActionEscalate, actionlink.ChannelSMS, "sato", 0)
		for range 2 {
			b.post(path4+"?lang=en", nil).want(t, http.StatusConflict, "is resolved already; nothing was changed.")
		}

		// Forged links: refused, and rate-limited per address; valid ones
		// do not count.
		forger := l.browser("192.0.2.99")
		forged := path[:len(path)-2] + "AA"
		if forged == path {
			forged = path[:len(path)-2] + "BB"
		}
		for i := range 10 {
			forger.get(forged+"?lang=en").want(t, http.StatusNotFound, "This link is not valid.")
			if i == 4 {
				forger.get(path+"?lang=en").want(t, http.StatusConflict, "This link was used already.")
			}
		}
		r = forger.get(forged + "?lang=en")
		r.want(t, http.StatusTooManyRequests, "Too many invalid links")
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		forger.post(path+"?lang=en", nil).want(t, http.StatusTooManyRequests)
		b.get("/a/x?lang=en").want(t, http.StatusNotFound, "This link is not valid.") // another address is not limited
	})
}

// TestActionLinkLanguages: the link page in every language.
func TestActionLinkLanguages(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	l := newLinksEnv(t, st)
	id := l.open("db1")
	for _, lang := range []string{"en", "ja", "zh", "ko"} {
		for _, action := range actionlink.Actions {
			path := l.mint(id, action, actionlink.ChannelSMS, "sato", 0)
			r := l.browser("203.0.113.20").get(path + "?lang=" + lang)
			r.want(t, http.StatusOK, translate(lang, "link.confirm."+action, id), translate(lang, "link.button."+action), translate(lang, "link.once"),
				`lang="`+map[string]string{"en": "en", "ja": "ja", "zh": "zh-Hans", "ko": "ko"}[lang]+`"`)
		}
		path := l.mint(id, actionlink.ActionAck, actionlink.ChannelSMS, "sato", time.Minute)
		l.clock.Advance(time.Minute)
		l.browser("203.0.113.21").get(path+"?lang="+lang).want(t, http.StatusGone, translate(lang, "link.expired"))
	}
}
