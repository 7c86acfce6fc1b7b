package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsdesk/opsdesk/internal/auth"
)

// TestBrowserHandleAndSearch (issue 11, point 16): in a real browser, an
// admin answers a question, assigns it, adds a note, finds it by state,
// and searches alerts from the Alerts page.
func TestBrowserHandleAndSearch(t *testing.T) {
	exe := chromium(t)
	srv := startOpsdeskWith(t, "")
	var q struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(postJSON(t, srv.URL+"/api/v1/questions", "", []byte(`{"project":"AWS-101","name":"Yamada","question":"S3 のバケットポリシーについて"}`)), &q); err != nil || q.ID == "" {
		t.Fatalf("question: %v %+v", err, q)
	}
	tok, err := srv.App.Auth.CreateToken(context.Background(), "monitoring", auth.ScopeIngestAlerts)
	if err != nil {
		t.Fatal(err)
	}
	postJSON(t, srv.URL+"/api/v1/alerts", tok, []byte(`[{"system":"XYZ","dedup_key":"a1","summary":"ディスク使用率 95%","host":"app-7"},`+
		`{"system":"XYZ","dedup_key":"a2","summary":"CPU high","host":"db-3","labels":{"env":"prod"}}]`))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx, _ := startChromium(t, ctx, exe, 1280, 900)
	do := tab{t, bctx}.do
	text := tab{t, bctx}.text
	setSelect := func(sel, value string) {
		var ignored any
		tab{t, bctx}.eval(`document.querySelector(`+jsString(sel)+`).value = `+jsString(value), &ignored)
	}
	waitFor := tab{t, bctx}.waitFor
	login(t, bctx, srv)

	page := srv.URL + "/questions/" + q.ID + "?lang=en"
	do("open the question", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#handling`)))
	setSelect(`#state`, "answered")
	do("answer", chromedp.Click(chromedp.CSS(`form[action$="/state"] button`)))
	waitFor("answer", `location.search.includes("question_state") && document.readyState == "complete"`)
	setSelect(`#assignee`, "admin")
	do("assign", chromedp.Click(chromedp.CSS(`form[action$="/assign"] button`)))
	waitFor("assign", `location.search.includes("question_assigned") && document.readyState == "complete"`)
	do("note",
		chromedp.SendKeys(chromedp.CSS(`textarea#note`), "電話で回答済み"),
		chromedp.Click(chromedp.CSS(`form[action$="/notes"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.notes li`)),
	)
	card := text(`#handling`)
	for _, want := range []string{"Answered", "by admin", "電話で回答済み"} {
		if !strings.Contains(card, want) {
			t.Errorf("handling card lacks %q:\n%s", want, card)
		}
	}
	if v := text(`#handling dl`); !strings.Contains(v, "admin") {
		t.Errorf("assignee not shown: %s", v)
	}

	do("filter by state", chromedp.Navigate(srv.URL+"/questions?lang=en"), chromedp.WaitVisible(chromedp.CSS(`select#state`)))
	setSelect(`select#state`, "answered")
	do("apply", chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	waitFor("apply", `location.search.includes("state=answered") && document.readyState == "complete"`)
	if body := text("main"); !strings.Contains(body, q.ID) || !strings.Contains(body, "Answered") {
		t.Errorf("answered questions list:\n%s", body)
	}

	do("search alerts",
		chromedp.Navigate(srv.URL+"/alerts?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`input#q`)),
		chromedp.SendKeys(chromedp.CSS(`input#q`), "label:env=prod"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
	)
	waitFor("search", `location.search.includes("q=label") && document.readyState == "complete"`)
	if body := text("main"); !strings.Contains(body, "db-3") || strings.Contains(body, "app-7") {
		t.Errorf("search label:env=prod:\n%s", body)
	}
	do("search in Japanese",
		chromedp.Navigate(srv.URL+"/alerts?lang=en&q="+"%E3%83%87%E3%82%A3%E3%82%B9%E3%82%AF"),
		chromedp.WaitVisible(chromedp.CSS(`input#q`)),
	)
	if body := text("main"); !strings.Contains(body, "app-7") || strings.Contains(body, "db-3") {
		t.Errorf("search ディスク:\n%s", body)
	}
}
