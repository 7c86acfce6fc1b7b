package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/notify"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := samples.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit changes fields of a sample's detail (a nil value deletes one).
func edit(t *testing.T, body []byte, detail map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	for k, v := range detail {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = v
	}
	out, _ := json.Marshal(ev)
	return out
}

// TestParseSamples reads every Health sample into the fields records keep.
func TestParseSamples(t *testing.T) {
	t.Parallel()
	u, err := Parse(sample(t, "health-issue"))
	if err != nil {
		t.Fatal(err)
	}
	if u.EventArn != "arn:aws:health:ap-northeast-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7F3A2B9C1D4E5F60" ||
		u.Service != "EC2" || u.Category != CategoryIssue || u.Status != StatusOpen || u.Region != "ap-northeast-1" ||
		u.Account != "141855812477" || u.Scope != ScopeAccountSpecific || u.EventTypeCode != "AWS_EC2_OPERATIONAL_ISSUE" {
		t.Errorf("issue: %+v", u)
	}
	if !u.Start.Equal(time.Date(2024, 3, 23, 13, 12, 0, 0, time.UTC)) || !u.LastUpdated.Equal(time.Date(2024, 3, 23, 13, 40, 12, 0, time.UTC)) || !u.End.IsZero() {
		t.Errorf("issue times: start %s, last %s, end %s", u.Start, u.LastUpdated, u.End)
	}
	if len(u.Descriptions) != 2 || !strings.HasPrefix(u.Descriptions["ja_JP"], "[調査中]") || !strings.HasPrefix(u.Descriptions["en_US"], "[Investigating]") {
		t.Errorf("descriptions %q", u.Descriptions)
	}
	if len(u.Entities) != 2 || u.Entities[0].Value != "i-0f3a9c2b7d1e64a58" || u.Entities[0].Status != "IMPAIRED" || u.Entities[0].Tags["system"] != "billing-api" {
		t.Errorf("entities %+v", u.Entities)
	}
	if arn, acct := u.Key(); arn != u.EventArn || acct != "141855812477" {
		t.Errorf("key %s %s", arn, acct)
	}
	sc, err := Parse(sample(t, "health-scheduled-change"))
	if err != nil {
		t.Fatal(err)
	}
	// Received by the management account for a member: the member is
	// the affected account.
	if sc.Account != "208496451275" || sc.Category != CategoryScheduledChange || sc.Status != StatusUpcoming || !sc.End.Equal(time.Date(2024, 4, 10, 17, 30, 0, 0, time.UTC)) {
		t.Errorf("scheduled change %+v", sc)
	}
	pub, err := Parse(edit(t, sample(t, "health-issue"), map[string]any{"eventScopeCode": "PUBLIC", "startTime": "2024-03-23T13:12:00Z"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, acct := pub.Key(); acct != "" || !pub.Start.Equal(u.Start) {
		t.Errorf("a public event is keyed by account %q (want \"\"), start %s", acct, pub.Start)
	}
}

// TestParseErrors: what is wrong is named.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	base := sample(t, "health-issue")
	tests := []struct {
		name  string
		body  []byte
		field string
	}{
		{"not json", []byte(`{`), "event"},
		{"other source", []byte(`{"source":"aws.s3","detail":{}}`), "source"},
		{"no detail", []byte(`{"source":"aws.health"}`), "detail"},
		{"detail not object", []byte(`{"source":"aws.health","detail":[1]}`), "detail"},
		{"no arn", edit(t, base, map[string]any{"eventArn": nil}), "detail.eventArn"},
		{"bad arn", edit(t, base, map[string]any{"eventArn": "event/EC2"}), "detail.eventArn"},
		{"no status", edit(t, base, map[string]any{"statusCode": nil}), "detail.statusCode"},
		{"bad status", edit(t, base, map[string]any{"statusCode": "resolved"}), "detail.statusCode"},
		{"no category", edit(t, base, map[string]any{"eventTypeCategory": ""}), "detail.eventTypeCategory"},
		{"bad start", edit(t, base, map[string]any{"startTime": "yesterday"}), "detail.startTime"},
		{"bad last updated", edit(t, base, map[string]any{"lastUpdatedTime": "Sat, 23 Mar 2024 25:00:00 GMT"}), "detail.lastUpdatedTime"},
		{"entity without value", edit(t, base, map[string]any{"affectedEntities": []any{map[string]any{"status": "IMPAIRED"}}}), "detail.affectedEntities[0].entityValue"},
		{"long service", edit(t, base, map[string]any{"service": strings.Repeat("S", 300)}), "detail.service"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.body)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v, want a FieldError on %s", tt.name, err, tt.field)
		}
	}
}

// FuzzParse: any body either parses into a record with an ARN and a
// known status, or is an error naming a field; never a panic.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"health-issue", "health-issue-closed", "health-scheduled-change", "health-account-notification"} {
		b, err := samples.Get(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"source":"aws.health","detail":{"eventArn":"arn:x","statusCode":"open","eventTypeCategory":"issue","startTime":"Mon, 1 Jan 0001 00:00:00 GMT"}}`))
	f.Add([]byte(`{"source":"aws.health","detail":{"eventArn":"arn:x","statusCode":"closed","eventTypeCategory":"issue","eventDescription":[{}],"affectedEntities":[{"entityValue":" "}]}}`))
	f.Add([]byte(`{"source":"aws.health","detail":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := Parse(body)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if !strings.HasPrefix(u.EventArn, "arn:") || !slices.Contains(Statuses, u.Status) || u.Category == "" {
			t.Fatalf("parsed %+v", u)
		}
		for _, e := range u.Entities {
			if e.Value == "" {
				t.Fatalf("entity without a value: %+v", u.Entities)
			}
		}
		if !strings.Contains(DashboardURL(u.EventArn), "eventID=") {
			t.Fatal("no dashboard link")
		}
	})
}

type sent struct {
	dest, key string
	msg       notify.Message
}

type recorder struct {
	mu   sync.Mutex
	sent []sent
	fail error
}

func (r *recorder) send(_ context.Context, dest string, msg notify.Message, key string, _ int) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return "", false, r.fail
	}
	r.sent = append(r.sent, sent{dest, key, msg})
	return "ok", false, nil
}

// drain sends every pending notice, as the workers would.
func drain(t *testing.T, s *Service) {
	t.Helper()
	ids, err := s.stalePending(context.Background(), -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := s.sendNotice(context.Background(), id); err != nil {
			t.Fatalf("notice %d: %v", id, err)
		}
	}
}

// TestApply walks the issue sample through its life on both engines: the
// record is created with the sample's fields, the same event twice is one
// record and one history row, the close update closes it, an older update
// arriving late is kept in the history but does not reopen it, and each
// change is notified once per matching destination.
func TestApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rec := &recorder{}
		now := time.Date(2024, 3, 23, 14, 0, 0, 0, time.UTC)
		s := New(st, Options{Now: func() time.Time { return now }, Send: rec.send,
			ConsoleURL: func(id int64) string { return fmt.Sprintf("https://ops.example.com/health/%d", id) },
			Filters: []NotifyFilter{
				{Destination: "ec2-tokyo", Services: []string{"EC2"}, Regions: []string{"ap-northeast-1"}, Categories: []string{"issue"}},
				{Destination: "closed-only", Statuses: []string{"closed"}, Language: "ja"},
				{Destination: "rds", Services: []string{"RDS"}},
			}})

		open := sample(t, "health-issue")
		a, err := s.Apply(ctx, 1, open)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Changed || a.From != "" || a.To != StatusOpen || a.Notices != 1 {
			t.Errorf("first apply %+v", a)
		}
		// The same stored event again (a retried action), and the same
		// event stored twice (ref 2): nothing more.
		if again, err := s.Apply(ctx, 1, open); err != nil || !again.Repeat || again.Notices != 0 {
			t.Errorf("repeat: %+v %v", again, err)
		}
		if dup, err := s.Apply(ctx, 2, open); err != nil || dup.Changed || dup.Notices != 0 {
			t.Errorf("same event, new ref: %+v %v", dup, err)
		}
		list, err := s.List(ctx, Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("list %d %v", len(list), err)
		}
		r := list[0]
		if r.ID != a.RecordID || r.Status != StatusOpen || r.Service != "EC2" || r.Region != "ap-northeast-1" || r.Category != CategoryIssue ||
			r.Account != "141855812477" || !slices.Equal(r.Accounts, []string{"141855812477"}) || len(r.Entities) != 2 || len(r.Descriptions) != 2 ||
			!r.Start.Equal(time.Date(2024, 3, 23, 13, 12, 0, 0, time.UTC)) ||
			!strings.HasPrefix(r.DashboardURL, "https://health.aws.amazon.com/health/home#/account/event-log?eventID=arn%3Aaws%3Ahealth%3Aap-northeast-1") {
			t.Errorf("record %+v", r)
		}
		drain(t, s)
		if len(rec.sent) != 1 || rec.sent[0].dest != "ec2-tokyo" || rec.sent[0].msg.Kind != "health" ||
			rec.sent[0].msg.URL != fmt.Sprintf("https://ops.example.com/health/%d", r.ID) || !strings.Contains(rec.sent[0].msg.Title, "open") ||
			!strings.HasPrefix(rec.sent[0].msg.Text, "[Investigating]") {
			t.Fatalf("sent %+v", rec.sent)
		}

		// The close update.
		closed := sample(t, "health-issue-closed")
		c, err := s.Apply(ctx, 3, closed)
		if err != nil || !c.Changed || c.From != StatusOpen || c.To != StatusClosed || c.Notices != 2 {
			t.Fatalf("close: %+v %v", c, err)
		}
		// A late copy of the first update (an older lastUpdatedTime).
		late := edit(t, open, map[string]any{"communicationId": "late"})
		l, err := s.Apply(ctx, 4, late)
		if err != nil || l.Changed || l.To != StatusClosed || l.Notices != 0 {
			t.Fatalf("late: %+v %v", l, err)
		}
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusClosed || !got.End.Equal(time.Date(2024, 3, 23, 14, 52, 0, 0, time.UTC)) || got.Entities[0].Status != "RESOLVED" ||
			!strings.HasPrefix(got.Descriptions["en_US"], "[RESOLVED]") || got.CommunicationID == "late" {
			t.Errorf("after close and late update: %+v", got)
		}
		drain(t, s)
		drain(t, s) // nothing left to send
		var dests []string
		for _, x := range rec.sent[1:] {
			dests = append(dests, x.dest)
			switch x.dest {
			case "ec2-tokyo":
				if x.msg.Title != "AWS Health closed: EC2 AWS_EC2_OPERATIONAL_ISSUE (ap-northeast-1)" || !strings.HasPrefix(x.msg.Text, "[RESOLVED]") {
					t.Errorf("English close notice %q %q", x.msg.Title, x.msg.Text)
				}
			case "closed-only":
				// In Japanese: the labels, and AWS's Japanese description.
				if x.msg.Title != "AWS Health 終了: EC2 AWS_EC2_OPERATIONAL_ISSUE (ap-northeast-1)" || !strings.HasPrefix(x.msg.Text, "[解決済み]") ||
					x.msg.Fields[0] != (notify.Field{Name: "ステータス", Value: "終了"}) || x.msg.Fields[2] != (notify.Field{Name: "カテゴリ", Value: "問題"}) {
					t.Errorf("Japanese close notice %q %q %+v", x.msg.Title, x.msg.Text, x.msg.Fields)
				}
			}
		}
		slices.Sort(dests)
		if !slices.Equal(dests, []string{"closed-only", "ec2-tokyo"}) {
			t.Errorf("close sent to %v", dests)
		}
		keys := map[string]bool{}
		for _, x := range rec.sent {
			if keys[x.key] {
				t.Errorf("idempotency key %s used twice", x.key)
			}
			keys[x.key] = true
		}
		hist, err := s.History(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var applied []bool
		var statuses []string
		for _, h := range hist {
			applied, statuses = append(applied, h.Applied), append(statuses, h.Status)
		}
		if !slices.Equal(statuses, []string{"open", "open", "closed", "open"}) || !slices.Equal(applied, []bool{true, false, true, false}) {
			t.Errorf("history %v %v", statuses, applied)
		}
		notices, err := s.Notices(ctx, r.ID)
		if err != nil || len(notices) != 3 {
			t.Fatalf("notices %+v %v", notices, err)
		}
		for _, n := range notices {
			if n.Status != "sent" || n.Attempts != 1 || n.Result != "ok" {
				t.Errorf("notice %+v", n)
			}
		}

		// Filters of the list.
		if _, err := s.Apply(ctx, 5, sample(t, "health-scheduled-change")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, 6, sample(t, "health-account-notification")); err != nil {
			t.Fatal(err)
		}
		all, _ := s.List(ctx, Filter{})
		var order []string
		for _, x := range all {
			order = append(order, x.Service+"/"+x.Status)
		}
		if !slices.Equal(order, []string{"RDS/upcoming", "ACM/open", "EC2/closed"}) {
			t.Errorf("order %v", order)
		}
		for _, tc := range []struct {
			f    Filter
			want []string
		}{
			{Filter{Service: "EC2"}, []string{"EC2"}},
			{Filter{Region: "us-east-1"}, []string{"ACM"}},
			{Filter{Category: CategoryScheduledChange}, []string{"RDS"}},
			{Filter{Status: StatusClosed}, []string{"EC2"}},
			{Filter{Account: "208496451275"}, []string{"RDS"}},
			{Filter{Region: "ap-northeast-1", Status: StatusOpen}, nil},
		} {
			got, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, x := range got {
				names = append(names, x.Service)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.f, names, tc.want)
			}
		}
		services, regions, err := s.Values(ctx)
		if err != nil || !slices.Equal(services, []string{"ACM", "EC2", "RDS"}) || !slices.Equal(regions, []string{"ap-northeast-1", "us-east-1"}) {
			t.Errorf("values %v %v %v", services, regions, err)
		}
		drain(t, s)
		if n := len(rec.sent); n != 4 || rec.sent[3].dest != "rds" {
			t.Errorf("after the RDS change: %d sent, last %+v", n, rec.sent[n-1])
		}
	})
}

// TestApplyPublicAndOrganization: a public event is one record for every
// account that receives it; an account-specific event of an organization
// is one record per affected account.
func TestApplyPublicAndOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st, Options{})
		pub := edit(t, sample(t, "health-issue"), map[string]any{"eventScopeCode": "PUBLIC", "affectedEntities": nil})
		for i, acct := range []string{"111111111111", "222222222222", "111111111111"} {
			if _, err := s.Apply(ctx, int64(10+i), edit(t, pub, map[string]any{"affectedAccount": acct})); err != nil {
				t.Fatal(err)
			}
		}
		for i, acct := range []string{"333333333333", "444444444444"} {
			if _, err := s.Apply(ctx, int64(20+i), edit(t, sample(t, "health-scheduled-change"), map[string]any{"affectedAccount": acct})); err != nil {
				t.Fatal(err)
			}
		}
		recs, err := s.List(ctx, Filter{Service: "EC2"})
		if err != nil || len(recs) != 1 || recs[0].Account != "" || !slices.Equal(recs[0].Accounts, []string{"111111111111", "222222222222"}) {
			t.Fatalf("public: %+v %v", recs, err)
		}
		recs, err = s.List(ctx, Filter{Service: "RDS"})
		if err != nil || len(recs) != 2 {
			t.Fatalf("organization: %d %v", len(recs), err)
		}
		accts := []string{recs[0].Account, recs[1].Account}
		slices.Sort(accts)
		if !slices.Equal(accts, []string{"333333333333", "444444444444"}) {
			t.Errorf("accounts %v", accts)
		}
		if _, err := s.Get(ctx, 99999); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown record: %v", err)
		}
	})
}

// TestNoticeRetry: a destination that fails leaves the notice pending
// with the error, and a later attempt sends it with the same key.
func TestNoticeRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rec := &recorder{fail: errors.New("503 from the webhook")}
		s := New(st, Options{Send: rec.send, Filters: []NotifyFilter{{Destination: "hook"}}})
		a, err := s.Apply(ctx, 1, sample(t, "health-account-notification"))
		if err != nil || a.Notices != 1 {
			t.Fatalf("%+v %v", a, err)
		}
		ids, _ := s.stalePending(ctx, -time.Hour)
		if len(ids) != 1 {
			t.Fatalf("pending %v", ids)
		}
		if err := s.sendNotice(ctx, ids[0]); err == nil {
			t.Fatal("a failed send is not an error (River would not retry)")
		}
		ns, _ := s.Notices(ctx, a.RecordID)
		if len(ns) != 1 || ns[0].Status != "pending" || ns[0].Attempts != 1 || !strings.Contains(ns[0].Error, "503") {
			t.Fatalf("after failure %+v", ns)
		}
		rec.fail = nil
		drain(t, s)
		ns, _ = s.Notices(ctx, a.RecordID)
		if len(ns) != 1 || ns[0].Status != "sent" || ns[0].Attempts != 2 || len(rec.sent) != 1 || rec.sent[0].key != fmt.Sprintf("health-notice-%d", ids[0]) {
			t.Errorf("after retry %+v, sent %+v", ns, rec.sent)
		}
	})
}

// TestApplyConcurrent: replicas applying updates of one event at once
// (new record included) serialize on it: the newest update wins, every
// update is in the history, and the close is notified once.
func TestApplyConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st, Options{Filters: []NotifyFilter{{Destination: "hook", Statuses: []string{"closed"}}}})
		bodies := [][]byte{sample(t, "health-issue"), sample(t, "health-issue-closed")}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Apply(ctx, int64(100+i), bodies[i%2])
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		recs, err := s.List(ctx, Filter{})
		if err != nil || len(recs) != 1 || recs[0].Status != StatusClosed {
			t.Fatalf("records %+v %v", recs, err)
		}
		hist, _ := s.History(ctx, recs[0].ID)
		notices, _ := s.Notices(ctx, recs[0].ID)
		if len(hist) != 8 || len(notices) != 1 || !strings.HasPrefix(notices[0].Change, "closed@") {
			t.Errorf("history %d rows, notices %+v", len(hist), notices)
		}
	})
}
