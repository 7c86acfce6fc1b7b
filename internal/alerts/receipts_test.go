package alerts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/receipt"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// The receipt parser's kinds and outcomes are the page kinds and
// outcomes RecordReceipt takes.
func TestReceiptNames(t *testing.T) {
	t.Parallel()
	if receipt.KindSMS != alerts.PageSMS || receipt.KindEmail != alerts.PageEmail ||
		receipt.Delivered != alerts.OutcomeDelivered || receipt.Bounced != alerts.OutcomeBounced || receipt.Failed != alerts.OutcomeFailed {
		t.Fatal("package receipt and package alerts disagree on kinds or outcomes")
	}
}

// TestRecordReceipt: Sato is paged by SMS and email; receipts settle each
// page once, a failure replaces a delivery but not the other way round,
// a repeat adds nothing to the timeline, and a ref no page has is not an
// error.
func TestRecordReceipt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, d, p := policyEnv(t, st)
		d.plans["sato"] = []alerts.Planned{
			{Kind: alerts.PageSMS, Address: sato, MethodID: 1, Language: "ja"},
			{Kind: alerts.PageEmail, Address: "sato@example.com", MethodID: 2, Language: "ja"},
		}
		e.policy(alerts.Policy{Name: "platform", Rounds: 1, Steps: []alerts.PolicyStep{
			{After: 10 * time.Minute, Targets: []alerts.Target{{Type: "user", Name: "sato"}}},
		}})
		e.routed("web", []alerts.Route{{Policy: "platform"}})
		id := e.open("web", "db1")
		e.run()
		e.pages()
		if got := p.sent(); len(got) != 2 {
			t.Fatalf("sent %v", got)
		}
		refs := map[string]string{} // kind → ref
		for _, pg := range e.pageList(id) {
			if pg.Status != alerts.PageSent || pg.Outcome != "accepted" || pg.Ref == "" {
				t.Fatalf("page %+v before receipts", pg)
			}
			refs[pg.Kind] = pg.Ref
		}
		page := func(kind string) *alerts.Page {
			t.Helper()
			for _, pg := range e.pageList(id) {
				if pg.Kind == kind {
					return pg
				}
			}
			t.Fatalf("no %s page", kind)
			return nil
		}
		entries := func(kind string) []string {
			t.Helper()
			es, err := e.svc.Timeline(e.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range es {
				if x.Kind == kind && strings.Contains(x.Detail, "receipt-test") {
					out = append(out, x.Actor+" "+x.Detail)
				}
			}
			return out
		}
		record := func(kind, ref, outcome, detail string) bool {
			t.Helper()
			found, err := e.svc.RecordReceipt(e.ctx, kind, ref, outcome, detail)
			if err != nil {
				t.Fatal(err)
			}
			return found
		}

		// SMS delivered, twice: one entry.
		for range 2 {
			if !record(alerts.PageSMS, refs[alerts.PageSMS], alerts.OutcomeDelivered, "DELIVERED (receipt-test handset)") {
				t.Fatal("SMS receipt: page not found")
			}
		}
		if pg := page(alerts.PageSMS); pg.Status != alerts.PageSent || pg.Outcome != alerts.OutcomeDelivered || pg.Error != "" {
			t.Errorf("SMS page after delivery: %s %s %q", pg.Status, pg.Outcome, pg.Error)
		}
		got := entries(alerts.KindPage)
		if len(got) != 1 || got[0] != "sato sms +819******001 (round 1, step 1): delivered: DELIVERED (receipt-test handset)" {
			t.Errorf("timeline after the SMS receipt %q", got)
		}

		// Email bounced; a delivery arriving after it changes nothing.
		if !record(alerts.PageEmail, refs[alerts.PageEmail], alerts.OutcomeBounced, "Permanent/General bounce receipt-test") {
			t.Fatal("email receipt: page not found")
		}
		record(alerts.PageEmail, refs[alerts.PageEmail], alerts.OutcomeDelivered, "250 receipt-test")
		record(alerts.PageEmail, refs[alerts.PageEmail], alerts.OutcomeFailed, "rejected receipt-test")
		if pg := page(alerts.PageEmail); pg.Status != alerts.PageFailed || pg.Outcome != alerts.OutcomeBounced ||
			pg.Error != "bounced: Permanent/General bounce receipt-test" {
			t.Errorf("email page after the bounce: %s %s %q", pg.Status, pg.Outcome, pg.Error)
		}
		got = entries(alerts.KindPageFailed)
		if len(got) != 1 || got[0] != "sato email s***@example.com (round 1, step 1): bounced: Permanent/General bounce receipt-test" {
			t.Errorf("timeline after the bounce %q", got)
		}
		if n := len(entries(alerts.KindPage)); n != 1 {
			t.Errorf("%d delivered entries; the late delivery of the bounced email added one", n)
		}

		// The SMS fails after all (a late carrier report): it replaces
		// the delivery, once.
		for range 2 {
			record(alerts.PageSMS, refs[alerts.PageSMS], alerts.OutcomeFailed, "TTL_EXPIRED receipt-test")
		}
		if pg := page(alerts.PageSMS); pg.Status != alerts.PageFailed || pg.Outcome != alerts.OutcomeFailed {
			t.Errorf("SMS page after the failure: %s %s", pg.Status, pg.Outcome)
		}
		if n := len(entries(alerts.KindPageFailed)); n != 2 {
			t.Errorf("%d failure entries, want 2 (the bounce and the SMS failure)", n)
		}

		// Another kind with the same ref, an unknown ref, no ref.
		for _, c := range [][2]string{{alerts.PageEmail, refs[alerts.PageSMS]}, {alerts.PageSMS, "no-such-message"}, {alerts.PageSMS, ""}} {
			if record(c[0], c[1], alerts.OutcomeDelivered, "receipt-test") {
				t.Errorf("%s receipt for %q found a page", c[0], c[1])
			}
		}
		// Bad arguments name the field.
		for _, c := range [][3]string{{"voice", "x", alerts.OutcomeDelivered}, {alerts.PageSMS, "x", "accepted"}} {
			_, err := e.svc.RecordReceipt(e.ctx, c[0], c[1], c[2], "")
			var ve *alerts.ValidationError
			if !errors.As(err, &ve) || (c[0] == "voice") != (ve.Field == "kind") {
				t.Errorf("RecordReceipt(%q, %q, %q): %v", c[0], c[1], c[2], err)
			}
		}
	})
}
