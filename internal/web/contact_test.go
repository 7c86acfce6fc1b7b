package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/contact"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

var smsCodeRE = regexp.MustCompile(`\b([0-9]{6})\b`)

// TestContactPage: a responder adds their mobile number on their contact
// page, sends a code (it arrives at the fake End User Messaging SMS),
// types it, sends a test (it arrives too), adds a rule and removes it;
// another responder may not open the page, an admin may; mistakes are
// shown in the page's language.
func TestContactPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var e *env
		smsFake := fake.NewSMS(t)
		e = newEnv(t, st, testConfig, func(h *Handler) {
			sender, err := contact.NewSMS(context.Background(), contact.SMSConfig{ConfigurationSet: fake.SMSDefaultConfigurationSet},
				contact.AWSOptions{Region: smsFake.Region(), Endpoint: smsFake.URL(), Credentials: smsFake.Credentials()})
			if err != nil {
				t.Fatal(err)
			}
			h.audit = audit.New(st, h.now, nil)
			h.contacts = contact.New(st, contact.Options{Now: h.now, Senders: map[string]contact.Sender{contact.KindSMS: sender},
				Destinations: func(name string) (string, bool) {
					d, ok := h.cfg.Destination(name)
					return d.Type, ok
				}})
		})
		e.addUser("sato", auth.RoleResponder)
		e.addUser("kim", auth.RoleResponder)
		e.addUser("boss", auth.RoleAdmin)

		b := e.browser("192.0.2.30")
		b.login("sato")
		csrf := b.csrf()
		b.get("/profile").want(t, http.StatusOK, `href="/users/sato/contact"`)
		r := b.get("/users/sato/contact")
		r.want(t, http.StatusOK, `id="contact-empty"`, "Start with your mobile number", `id="contact-add"`)
		r.wantNot(t, `action="/users/sato/contact/rules"`)

		// A mistake names what is wrong, in Japanese with ?lang=ja.
		b.post("/users/sato/contact/methods?lang=ja", url.Values{"csrf": {csrf}, "kind": {"sms"}, "address": {"090-1234-5678"}}).
			want(t, http.StatusUnprocessableEntity, "宛先が種類に合っていません", `value="090-1234-5678"`)
		b.get("/users/sato/contact?lang=en").want(t, http.StatusOK)

		r = b.post("/users/sato/contact/methods", url.Values{"csrf": {csrf}, "kind": {"sms"}, "label": {"mobile"}, "address": {"+81 90 1234 5678"}})
		r.want(t, http.StatusSeeOther)
		d, err := e.h.contacts.Methods(context.Background(), "sato")
		if err != nil || len(d) != 1 || d[0].Address != "+819012345678" {
			t.Fatalf("methods %+v %v", d, err)
		}
		id := d[0].ID
		base := fmt.Sprintf("/users/sato/contact/methods/%d", id)
		b.get("/users/sato/contact?notice=contact_added").want(t, http.StatusOK, "now send a code", "Not verified", `action="`+base+`/send-code"`)

		b.post(base+"/send-code", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther)
		ms := smsFake.MessagesTo("+819012345678")
		if len(ms) != 1 {
			t.Fatalf("sms %+v", ms)
		}
		code := smsCodeRE.FindString(ms[0].MessageBody)
		b.get("/users/sato/contact").want(t, http.StatusOK, "Code sent", `action="`+base+`/confirm"`)
		// One code a minute.
		b.post(base+"/send-code", url.Values{"csrf": {csrf}}).want(t, http.StatusTooManyRequests, "try again in 60 seconds")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		b.post(base+"/confirm", url.Values{"csrf": {csrf}, "code": {wrong}}).want(t, http.StatusUnprocessableEntity, "Wrong code")
		b.post(base+"/confirm", url.Values{"csrf": {csrf}, "code": {code}}).want(t, http.StatusSeeOther)
		r = b.get("/users/sato/contact")
		r.want(t, http.StatusOK, "Verified", `action="`+base+`/test"`, `id="rules-default"`, `action="/users/sato/contact/rules"`)

		b.post(base+"/test", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther)
		if ms := smsFake.MessagesTo("+819012345678"); len(ms) != 2 || ms[1].MessageBody != "This is a test from opsdesk: this is how you will be notified when you are on call." {
			t.Fatalf("test sms %+v", ms)
		}

		// A rule: SMS after 3 minutes for critical alerts.
		b.post("/users/sato/contact/rules", url.Values{"csrf": {csrf}, "method": {fmt.Sprint(id)}, "after": {"3"}, "severity": {"critical"}}).want(t, http.StatusSeeOther)
		b.post("/users/sato/contact/rules", url.Values{"csrf": {csrf}, "method": {fmt.Sprint(id)}, "after": {"3"}}).want(t, http.StatusUnprocessableEntity, "only once after the same delay")
		rules, _ := e.h.contacts.Rules(context.Background(), "sato")
		if len(rules) != 1 || rules[0].Delay != 3*time.Minute || fmt.Sprint(rules[0].Severities) != "[critical]" {
			t.Fatalf("rules %+v", rules)
		}
		plan, _ := e.h.contacts.Plan(context.Background(), "sato", "warning")
		if len(plan) != 0 {
			t.Errorf("warning plan %+v", plan)
		}
		b.get("/users/sato/contact").want(t, http.StatusOK, fmt.Sprintf(`id="rule-%d"`, rules[0].ID), "3m", "critical")
		b.post(fmt.Sprintf("/users/sato/contact/rules/%d/delete", rules[0].ID), url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther)
		if rules, _ := e.h.contacts.Rules(context.Background(), "sato"); len(rules) != 0 {
			t.Fatalf("rules after remove %+v", rules)
		}

		// Another responder may not look or change; an admin may.
		k := e.browser("192.0.2.31")
		k.login("kim")
		kc := k.csrf()
		k.get("/users/sato/contact").want(t, http.StatusForbidden)
		k.post(base+"/delete", url.Values{"csrf": {kc}}).want(t, http.StatusForbidden)
		k.post(base+"/send-code", url.Values{"csrf": {kc}}).want(t, http.StatusForbidden)
		// Nor reach sato's method through their own page.
		k.post(fmt.Sprintf("/users/kim/contact/methods/%d/delete", id), url.Values{"csrf": {kc}}).want(t, http.StatusNotFound)
		a := e.browser("192.0.2.32")
		a.login("boss")
		ac := a.csrf()
		a.get("/users/sato/contact").want(t, http.StatusOK, "819012345678", "Contact methods of sato")
		a.get("/users/nobody/contact").want(t, http.StatusNotFound)
		a.get("/users").want(t, http.StatusOK, `href="/users/sato/contact"`, `href="/users/kim/contact"`)
		// Forms need the CSRF token.
		b.post(base+"/delete", url.Values{}).want(t, http.StatusForbidden)
		a.post(base+"/delete", url.Values{"csrf": {ac}}).want(t, http.StatusSeeOther)
		if d, _ := e.h.contacts.Methods(context.Background(), "sato"); len(d) != 0 {
			t.Fatalf("after delete %+v", d)
		}
		want := []string{"sato user contact.add sato", "sato user contact.verify sato", "sato user contact.rules sato", "sato user contact.rules sato", "boss user contact.delete sato"}
		if got := trail(t, e.h.audit, "contact."); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit %v, want %v", got, want)
		}
	})
}
