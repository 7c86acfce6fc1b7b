package cases_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestSearchGolden syncs hand-written cases in four languages from the
// fake Support API and checks every query of testdata/search.golden on
// both engines: 2-character Japanese, Chinese and Korean words, a single
// character, width and case folding, phrases.
func TestSearchGolden(t *testing.T) {
	var docs []struct {
		ID, Lang, Subject string
		Bodies            []string
	}
	b, err := os.ReadFile("testdata/search_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	var data []fake.SupportCase
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range docs {
		c := fake.SupportCase{CaseID: d.ID, DisplayID: "1000" + string(rune('0'+i)), Subject: d.Subject, Status: "resolved", ServiceCode: "amazon-ec2",
			CategoryCode: "other", SeverityCode: "normal", SubmittedBy: "ops@example.com", Language: d.Lang, TimeCreated: base.Add(time.Duration(i) * time.Hour)}
		for j, body := range d.Bodies {
			c.Communications = append(c.Communications, fake.SupportCommunication{Body: body, SubmittedBy: "ops@example.com", TimeCreated: c.TimeCreated.Add(time.Duration(j+1) * time.Minute)})
		}
		data = append(data, c)
	}
	f, err := os.Open("testdata/search.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type want struct {
		q   string
		ids []string
	}
	var wants []want
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		q, ids, _ := strings.Cut(line, "\t")
		w := want{q: q}
		if ids != "" {
			w.ids = strings.Split(ids, ",")
		}
		wants = append(wants, w)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fs := fake.NewSupport(t)
		fs.Load(data)
		cs := cases.NewStore(st)
		sy := &cases.Syncer{Store: cs, Dir: t.TempDir(), Overlap: time.Hour, ResolvedRepoll: time.Hour}
		if _, err := sy.Sync(ctx, cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: client(t, fs, fs.SupportAccount)}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			hits, err := cs.List(ctx, cases.Filter{Q: w.q})
			if err != nil {
				t.Fatalf("%q: %v", w.q, err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.CaseID)
				marked := false
				for _, fr := range h.Snippet {
					marked = marked || fr.Match
				}
				if !marked {
					t.Errorf("%q: hit %s has no highlighted snippet: %+v", w.q, h.CaseID, h.Snippet)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, w.ids) {
				t.Errorf("%q: got %v; want %v", w.q, got, w.ids)
			}
		}
		// Filters combine with the query.
		hits, err := cs.List(ctx, cases.Filter{Q: "故障", Language: "zh"})
		if err != nil || len(hits) != 1 || hits[0].CaseID != "case-c" {
			t.Errorf("故障 in zh: %v %+v", err, hits)
		}
		// The case page has the whole thread in time order.
		c, msgs, err := cs.Get(ctx, "case-a")
		if err != nil || c.Subject != docs[0].Subject || len(msgs) != 2 || msgs[0].Body != docs[0].Bodies[0] {
			t.Errorf("get: %v %+v %+v", err, c, msgs)
		}
	})
}
