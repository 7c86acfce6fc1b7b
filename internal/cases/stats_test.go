package cases_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// statsCase is a hand-written case whose messages are at the given offsets
// from its creation; a resolved case counts as resolved at its last one.
func statsCase(id, service, severity, status string, created time.Time, offsets ...time.Duration) fake.SupportCase {
	c := fake.SupportCase{CaseID: "case-" + id, DisplayID: id, Subject: "subject " + id, Status: status, ServiceCode: service,
		CategoryCode: "other", SeverityCode: severity, SubmittedBy: "ops@example.com", Language: "en", TimeCreated: created}
	for _, o := range offsets {
		c.Communications = append(c.Communications, fake.SupportCommunication{Body: "message", SubmittedBy: "ops@example.com", TimeCreated: created.Add(o)})
	}
	return c
}

func TestStats(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		day := func(m time.Month, d, h int) time.Time { return time.Date(2025, m, d, h, 0, 0, 0, time.UTC) }
		prod := fake.NewSupport(t)
		prod.Load([]fake.SupportCase{
			statsCase("1", "ec2", "high", "resolved", day(1, 10, 0), time.Hour, 5*time.Hour),
			statsCase("2", "ec2", "normal", "resolved", day(1, 20, 0), time.Hour, 25*time.Hour),
			statsCase("3", "ec2", "normal", "resolved", day(1, 25, 0), 10*time.Hour),
			// Created in January, resolved in February.
			statsCase("4", "s3", "low", "resolved", day(1, 31, 23), 2*time.Hour),
			statsCase("5", "s3", "urgent", "opened", day(3, 5, 0), time.Hour),
			statsCase("6", "ec2", "critical", "pending-customer-action", day(3, 6, 0), time.Hour, 3*time.Hour),
			// Outside the range.
			statsCase("7", "ec2", "low", "resolved", time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour),
		})
		staging := fake.NewSupport(t)
		staging.Load([]fake.SupportCase{
			statsCase("8", "lambda", "normal", "pending-customer-action", day(2, 15, 0), time.Hour),
		})
		s := cases.NewStore(st)
		sy := &cases.Syncer{Store: s, Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		for name, f := range map[string]*fake.Support{"prod": prod, "staging": staging} {
			if _, err := sy.Sync(ctx, cases.Account{Name: name, Languages: []string{"en"}, Client: client(t, f, f.SupportAccount)}, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}

		months, from, to := cases.Months(day(3, 15, 12), 3)
		if !reflect.DeepEqual(months, []string{"2025-01", "2025-02", "2025-03"}) || !from.Equal(day(1, 1, 0)) || !to.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("Months: %v %v %v", months, from, to)
		}
		if m, f, _ := cases.Months(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), 24); len(m) != 24 || m[0] != "2024-02" || m[23] != "2026-01" || f.Month() != time.February {
			t.Errorf("24 months to January 2026: %v", m)
		}
		rng := cases.StatsFilter{From: from, To: to}

		bySvc, err := s.MonthlyCounts(ctx, cases.ByService, rng)
		if err != nil {
			t.Fatal(err)
		}
		want := []cases.MonthCount{{"2025-01", "ec2", 3}, {"2025-01", "s3", 1}, {"2025-02", "lambda", 1}, {"2025-03", "ec2", 1}, {"2025-03", "s3", 1}}
		if !reflect.DeepEqual(bySvc, want) {
			t.Errorf("by service: %v\nwant %v", bySvc, want)
		}
		bySev, err := s.MonthlyCounts(ctx, cases.BySeverity, cases.StatsFilter{Account: "prod", From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		want = []cases.MonthCount{{"2025-01", "high", 1}, {"2025-01", "low", 1}, {"2025-01", "normal", 2}, {"2025-03", "critical", 1}, {"2025-03", "urgent", 1}}
		if !reflect.DeepEqual(bySev, want) {
			t.Errorf("by severity (prod): %v\nwant %v", bySev, want)
		}
		if _, err := s.MonthlyCounts(ctx, "colour", rng); err == nil {
			t.Error("unknown dimension accepted")
		}

		res, err := s.ResolutionByMonth(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		wantRes := []cases.ResolutionMonth{
			// 5h, 10h, 25h: median 10h; 90th percentile by nearest rank: 25h.
			{Month: "2025-01", Cases: 3, Median: 10 * time.Hour, P90: 25 * time.Hour},
			{Month: "2025-02", Cases: 1, Median: 2 * time.Hour, P90: 2 * time.Hour},
		}
		if !reflect.DeepEqual(res, wantRes) {
			t.Errorf("resolution: %+v\nwant %+v", res, wantRes)
		}
		// An even number: the mean of the middle two.
		res, err = s.ResolutionByMonth(ctx, cases.StatsFilter{From: day(1, 1, 0), To: day(1, 25, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Cases != 2 || res[0].Median != 15*time.Hour || res[0].P90 != 25*time.Hour {
			t.Errorf("resolution of two cases: %+v", res)
		}

		fc, err := s.Facets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fc.Cases != 8 || !reflect.DeepEqual(fc.Accounts, []string{"prod", "staging"}) || !reflect.DeepEqual(fc.Services, []string{"ec2", "lambda", "s3"}) || !reflect.DeepEqual(fc.Languages, []string{"en"}) {
			t.Errorf("facets: %+v", fc)
		}
		counts, err := s.StatusCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(counts, map[string]int{"resolved": 5, "opened": 1, "pending-customer-action": 2}) {
			t.Errorf("status counts: %v", counts)
		}

		waiting, total, err := s.AwaitingCustomer(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(waiting) != 1 || waiting[0].DisplayID != "6" {
			t.Errorf("awaiting: %d %+v", total, waiting)
		}
		waiting, _, _ = s.AwaitingCustomer(ctx, 10)
		if len(waiting) != 2 || waiting[1].DisplayID != "8" {
			t.Errorf("awaiting, most recent first: %+v", waiting)
		}
	})
}
