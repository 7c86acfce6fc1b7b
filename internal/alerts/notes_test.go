package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// users are the console users of the notes tests.
func isUser(name string) bool { return name == "sato" || name == "suzuki" }

// withAudit is an env whose service records to an audit log.
func withAudit(t *testing.T, st *store.Store, start time.Time) (*env, *audit.Log) {
	t.Helper()
	var now func() time.Time
	log := audit.New(st, func() time.Time { return now() }, nil)
	e := newEnv(t, st, envOpt{start: start, opts: func(o *alerts.Options) { o.Audit = log }})
	now = e.clk.Now
	return e, log
}

// kinds returns the timeline's entries of kind as "actor|detail".
func (e *env) kinds(id int64, kind string) []string {
	e.t.Helper()
	tl, err := e.svc.Timeline(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, x := range tl {
		if x.Kind == kind {
			out = append(out, x.Actor+"|"+x.Detail)
		}
	}
	return out
}

func auditOf(t *testing.T, log *audit.Log, action string) []string {
	t.Helper()
	list, err := log.List(t.Context(), audit.Filter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range list {
		out = append(out, x.Actor+"|"+x.Target+"|"+x.Detail)
	}
	return out
}

// TestAlertNotes adds notes and assigns an alert on both engines: the
// notes and the assignee are stored, each change is on the timeline and
// in the audit log, and bad input is refused naming the field.
func TestAlertNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, log := withAudit(t, st, time.Time{})
		e.threePeople()
		id := e.open("XYZ", "web-1")
		ctx := audit.WithActor(e.ctx, audit.Actor{Name: "sato", Kind: audit.KindUser, Source: "console"})

		n, err := e.svc.AddNote(ctx, id, "sato", "  disk full on /var\r\nrotating logs  ")
		if err != nil {
			t.Fatal(err)
		}
		if n.ID == 0 || n.Body != "disk full on /var\nrotating logs" || n.Author != "sato" || !n.CreatedAt.Equal(epoch) {
			t.Fatalf("note = %+v", n)
		}
		e.clk.Advance(time.Minute)
		if _, err := e.svc.AddNote(ctx, id, "suzuki", "日本語のメモ"); err != nil {
			t.Fatal(err)
		}
		notes, err := e.svc.Notes(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 2 || notes[0].Body != "disk full on /var\nrotating logs" || notes[1].Author != "suzuki" ||
			notes[1].Body != "日本語のメモ" || !notes[1].CreatedAt.Equal(epoch.Add(time.Minute)) {
			t.Fatalf("notes = %+v", notes)
		}
		if got := e.kinds(id, alerts.KindNote); len(got) != 2 || got[0] != "sato|disk full on /var\nrotating logs" || got[1] != "suzuki|日本語のメモ" {
			t.Fatalf("timeline notes = %q", got)
		}
		if got := auditOf(t, log, "alert.note"); len(got) != 2 || got[0] != "sato|alert #"+itoa(id)+"|日本語のメモ" {
			t.Fatalf("audit notes = %q", got)
		}

		// Bad notes name the field; nothing is stored.
		long := strings.Repeat("あ", alerts.MaxNote+1)
		for _, body := range []string{"", "   \n ", long, "bad \xff utf-8"} {
			_, err := e.svc.AddNote(ctx, id, "sato", body)
			var ve *alerts.ValidationError
			if !errors.As(err, &ve) || ve.Field != "body" {
				t.Errorf("AddNote(%.20q) = %v, want a body error", body, err)
			}
		}
		if _, err := e.svc.AddNote(ctx, id, "sato", strings.Repeat("あ", alerts.MaxNote)); err != nil {
			t.Errorf("a note of exactly MaxNote: %v", err)
		}
		if _, err := e.svc.AddNote(ctx, id+100, "sato", "x"); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("note on a missing alert: %v", err)
		}
		if notes, _ := e.svc.Notes(e.ctx, id); len(notes) != 3 {
			t.Errorf("%d notes after refused ones, want 3", len(notes))
		}

		// Assign, reassign, assign the same (no change), unassign.
		if who, _ := e.svc.Assignee(e.ctx, id); who != "" {
			t.Fatalf("new alert assigned to %q", who)
		}
		steps := []struct {
			to      string
			changed bool
		}{{"sato", true}, {" suzuki ", true}, {"suzuki", false}, {"", true}}
		for _, s := range steps {
			changed, err := e.svc.Assign(ctx, id, s.to, "sato", isUser)
			if err != nil || changed != s.changed {
				t.Fatalf("Assign(%q) = %v, %v; want changed %v", s.to, changed, err, s.changed)
			}
		}
		if got := e.kinds(id, alerts.KindAssign); strings.Join(got, ",") != "sato|sato,sato|suzuki,sato|" {
			t.Fatalf("timeline assignments = %q", got)
		}
		if got := auditOf(t, log, "alert.assign"); strings.Join(got, ",") != "sato|alert #"+itoa(id)+"|suzuki → nobody,sato|alert #"+itoa(id)+"|sato → suzuki,sato|alert #"+itoa(id)+"|sato" {
			t.Fatalf("audit assignments = %q", got)
		}
		if _, err := e.svc.Assign(ctx, id, "sato", "sato", isUser); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"mallory", strings.Repeat("x", alerts.MaxAssignee+1)} {
			_, err := e.svc.Assign(ctx, id, who, "sato", isUser)
			var ve *alerts.ValidationError
			if !errors.As(err, &ve) || ve.Field != "assignee" {
				t.Errorf("Assign(%.20q) = %v, want an assignee error", who, err)
			}
		}
		if _, err := e.svc.Assign(ctx, id, "suzuki", "sato", nil); err == nil {
			t.Error("assigned without a user check")
		}
		if _, err := e.svc.Assign(ctx, id+100, "sato", "sato", isUser); !errors.Is(err, alerts.ErrNotFound) {
			t.Errorf("assign a missing alert: %v", err)
		}
		if who, _ := e.svc.Assignee(e.ctx, id); who != "sato" {
			t.Errorf("assignee = %q after refused changes, want sato", who)
		}
		other := e.open("XYZ", "web-2")
		got, err := e.svc.Assignees(e.ctx, []int64{id, other})
		if err != nil || len(got) != 1 || got[id] != "sato" {
			t.Errorf("Assignees = %v, %v", got, err)
		}

		// Notes go with their alert.
		if _, err := st.W.ExecContext(e.ctx, st.Q(`DELETE FROM alert_log WHERE alert_id = ?`), id); err != nil {
			t.Fatal(err)
		}
		if _, err := st.W.ExecContext(e.ctx, st.Q(`DELETE FROM alerts WHERE id = ?`), id); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := st.R.QueryRowContext(e.ctx, st.Q(`SELECT count(*) FROM alert_notes WHERE alert_id = ?`), id).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d notes left of a deleted alert (%v)", left, err)
		}
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestAlertNotesAPI reads and writes notes and the assignee over HTTP.
func TestAlertNotesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPIEnv(t, st)
		a.api.IsUser = func(_ context.Context, name string) bool { return isUser(name) }
		id := a.open("XYZ", "db-1")
		base := a.srv.URL + "/api/v1/alerts/" + itoa(id)

		code, out := a.call(http.MethodGet, base+"/notes", "")
		if code != http.StatusOK || string(out["notes"]) != "[]" {
			t.Fatalf("no notes: %d %s", code, out["notes"])
		}
		code, out = a.call(http.MethodPost, base+"/notes", `{"body": "restarted the replica", "by": "suzuki"}`)
		if code != http.StatusCreated || str(out["author"]) != "suzuki" || str(out["body"]) != "restarted the replica" {
			t.Fatalf("add note: %d %v", code, out)
		}
		code, out = a.call(http.MethodPost, base+"/notes", `{"body": "checking"}`)
		if code != http.StatusCreated || str(out["author"]) != "monitoring" {
			t.Fatalf("add note as the token: %d %v", code, out)
		}
		code, out = a.call(http.MethodGet, base+"/notes", "")
		var notes []alerts.NoteJSON
		if err := json.Unmarshal(out["notes"], &notes); err != nil || code != http.StatusOK || len(notes) != 2 ||
			notes[0].Body != "restarted the replica" || notes[1].Author != "monitoring" {
			t.Fatalf("notes: %d %s", code, out["notes"])
		}

		for _, c := range []struct{ body, field string }{
			{`{"body": ""}`, "body"}, {`{}`, "body"}, {`{"body": "` + strings.Repeat("x", alerts.MaxNote+1) + `"}`, "body"},
		} {
			if code, out := a.call(http.MethodPost, base+"/notes", c.body); code != http.StatusBadRequest || str(out["field"]) != c.field {
				t.Errorf("POST notes %.30s: %d %v", c.body, code, out)
			}
		}
		if code, _ := a.call(http.MethodPost, base+"/notes", `not json`); code != http.StatusBadRequest {
			t.Errorf("POST notes not JSON: %d", code)
		}

		code, out = a.call(http.MethodPut, base+"/assignee", `{"assignee": "sato"}`)
		if code != http.StatusOK || str(out["assignee"]) != "sato" || string(out["changed"]) != "true" {
			t.Fatalf("assign: %d %v", code, out)
		}
		code, out = a.call(http.MethodPut, base+"/assignee", `{"assignee": "mallory"}`)
		if code != http.StatusBadRequest || str(out["field"]) != "assignee" {
			t.Fatalf("assign a stranger: %d %v", code, out)
		}
		if code, out := a.call(http.MethodPut, base+"/assignee", `{}`); code != http.StatusBadRequest || str(out["field"]) != "assignee" {
			t.Fatalf("assign nothing: %d %v", code, out)
		}
		code, out = a.call(http.MethodGet, base, "")
		if code != http.StatusOK || str(out["assignee"]) != "sato" {
			t.Fatalf("alert: %d %v", code, out)
		}
		code, out = a.call(http.MethodGet, a.srv.URL+"/api/v1/alerts", "")
		var list []alerts.AlertJSON
		if err := json.Unmarshal(out["alerts"], &list); err != nil || code != http.StatusOK || len(list) != 1 || list[0].Assignee != "sato" {
			t.Fatalf("list: %d %s", code, out["alerts"])
		}
		code, out = a.call(http.MethodPut, base+"/assignee", `{"assignee": ""}`)
		if code != http.StatusOK || str(out["assignee"]) != "" {
			t.Fatalf("unassign: %d %v", code, out)
		}
		if got := a.kinds(id, alerts.KindAssign); strings.Join(got, ",") != "monitoring|sato,monitoring|" {
			t.Errorf("timeline = %q", got)
		}

		missing := a.srv.URL + "/api/v1/alerts/" + itoa(id+100)
		for _, c := range []struct{ method, url, body string }{
			{http.MethodGet, missing + "/notes", ""},
			{http.MethodPost, missing + "/notes", `{"body": "x"}`},
			{http.MethodPut, missing + "/assignee", `{"assignee": "sato"}`},
		} {
			if code, out := a.call(c.method, c.url, c.body); code != http.StatusNotFound || str(out["field"]) != "id" {
				t.Errorf("%s %s: %d %v", c.method, c.url, code, out)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/notes", strings.NewReader(`{"body": "x"}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("without a token: %d", resp.StatusCode)
		}
	})
}

// call sends a request with the good token and decodes the JSON answer.
func (a *apiEnv) call(method, url, body string) (int, map[string]json.RawMessage) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+goodToken)
	req.Header.Set("Content-Type", jsonCT)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("%s %s: answer %d is not JSON: %s", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
