package cases_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

func TestImportDynamoDBScan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f, err := os.Open("testdata/supportcases-scan.json")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cs, comms, err := cases.ParseDynamoDBScan(f)
		if err != nil {
			t.Fatal(err)
		}
		s := cases.NewStore(st)
		res, err := s.Import(ctx, "prod", "ja", cs, comms, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Cases != 2 || res.NewCases != 2 || res.Communications != 3 || res.Attachments != 1 {
			t.Errorf("import: %+v", res)
		}
		// Importing again adds nothing.
		res, err = s.Import(ctx, "prod", "ja", cs, comms, time.Now())
		if err != nil || res.NewCases != 0 || res.Communications != 0 {
			t.Errorf("second import: %+v %v", res, err)
		}
		c, msgs, err := s.Get(ctx, "171234567801")
		if err != nil || c.Language != "ja" || c.Severity != "urgent" || len(msgs) != 2 || !strings.Contains(msgs[0].Body, "システムログ") || len(msgs[0].Attachments) != 1 {
			t.Errorf("imported case: %v %+v %+v", err, c, msgs)
		}
		hits, err := s.List(ctx, cases.Filter{Q: "障害"})
		if err != nil || len(hits) != 1 {
			t.Errorf("search imported: %v %d", err, len(hits))
		}
	})
}

func TestImportRejectsMalformed(t *testing.T) {
	good, err := os.ReadFile("testdata/supportcases-scan.json")
	if err != nil {
		t.Fatal(err)
	}
	cases_ := []struct{ name, in, want string }{
		{"not json", `{"Items": [`, "not the JSON output"},
		{"no items", `{"Count": 0}`, `no "Items" array`},
		{"missing case id", `{"Items": [{"timeCreated": {"S": "2024-01-01T00:00:00Z"}}]}`, "item 0: case_id: is missing"},
		{"bad time", `{"Items": [{"case_id": {"S": "c"}, "timeCreated": {"S": "yesterday"}}]}`, "item 0: timeCreated"},
		{"not attribute value", `{"Items": [{"case_id": "plain"}]}`, "item 0: case_id: is not a DynamoDB attribute value"},
		{"wrong type", `{"Items": [{"case_id": {"N": "1"}, "timeCreated": {"S": "2024-01-01T00:00:00Z"}}]}`, "item 0: case_id: must be a string"},
		{"bad comm", strings.Replace(string(good), `"timeCreated": {"S": "2023-07-02T13:00:00.000Z"}`, `"timeCreated": {"S": "later"}`, 1), "item 1: communications[0].timeCreated"},
	}
	for _, c := range cases_ {
		_, _, err := cases.ParseDynamoDBScan(strings.NewReader(c.in))
		var ie *cases.ImportError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
	// A bad item means nothing of the file is imported.
	st := storetest.New(t, store.SQLite)
	bad := strings.Replace(string(good), `"timeCreated": {"S": "2023-07-02T13:00:00.000Z"}`, `"timeCreated": {"S": "later"}`, 1)
	if _, _, err := cases.ParseDynamoDBScan(strings.NewReader(bad)); err == nil {
		t.Fatal("bad file parsed")
	}
	var n int
	_ = st.R.QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
	if n != 0 {
		t.Errorf("%d cases stored from a bad file", n)
	}
}

func FuzzParseDynamoDBScan(f *testing.F) {
	good, _ := os.ReadFile("testdata/supportcases-scan.json")
	f.Add(good)
	f.Add([]byte(`{"Items":[{"case_id":{"S":"c"},"timeCreated":{"S":"2024-01-01T00:00:00Z"},"communications":{"L":[{"M":{}}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, comms, err := cases.ParseDynamoDBScan(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if len(cs) != len(comms) {
			t.Fatalf("%d cases, %d message lists", len(cs), len(comms))
		}
		for _, c := range cs {
			if c.CaseID == "" {
				t.Fatal("case without id accepted")
			}
		}
	})
}
