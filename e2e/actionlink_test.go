package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsdesk/opsdesk/internal/actionlink"
	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestBrowserOneTapLink: opening a one-tap SMS link in a real browser is
// all it takes: the page submits itself (the console's CSP allows its
// same-origin script, and nothing in the console complains), the alert
// is acknowledged as the recipient, and going back does not act again.
func TestBrowserOneTapLink(t *testing.T) {
	exe := chromium(t)
	cfg, err := config.Parse([]byte(`
addr: 127.0.0.1:0
database: ` + storetest.DatabaseURL(t, store.SQLite) + `
data_dir: ` + t.TempDir() + `
base_url: https://opsdesk.example.com
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, cfg, nil)
	ctx := context.Background()
	res, err := srv.App.Alerts().Ingest(ctx, []parse.Signal{{Source: parse.SourceNative, System: "XYZ", DedupKey: "db1",
		Status: parse.StatusFiring, Summary: "ディスク容量不足 db1", Labels: map[string]string{}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].AlertID
	u, err := srv.App.ActionLinks().MintFor(ctx, actionlink.Link{AlertID: id, Action: actionlink.ActionAck, Channel: actionlink.ChannelSMS, Recipient: "sato"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	link := srv.URL + strings.TrimPrefix(u, "https://opsdesk.example.com") + "?lang=ja"

	bctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	bctx, cons := startChromium(t, bctx, exe, 390, 844) // a phone
	b := tab{t, bctx}
	b.do("open the link", chromedp.Navigate(link))
	b.waitFor("the page submits itself", `document.body.innerText.indexOf("を確認しました") >= 0`)
	if got := b.text("main h2.subject"); got != "ディスク容量不足 db1" {
		t.Errorf("summary %q", got)
	}
	a, err := srv.App.Alerts().Get(ctx, id)
	if err != nil || a.Status != alerts.StatusAcknowledged || a.AckedBy != "sato (SMS link)" {
		t.Fatalf("after the tap: %+v, %v", a, err)
	}
	acked := a.AckedAt

	// Back: the submission during load replaced the link page in the
	// history (or, where a browser keeps it, the page does not submit
	// again); either way nothing acts again.
	b.do("go back", chromedp.NavigateBack())
	b.waitFor("back", `document.readyState === "complete"`)
	if a, _ := srv.App.Alerts().Get(ctx, id); !a.AckedAt.Equal(acked) {
		t.Fatal("going back acted again")
	}
	// Opened again: used.
	b.do("open the link again", chromedp.Navigate(link))
	b.waitFor("used", `document.body.innerText.indexOf("このリンクはすでに使われています") >= 0`)

	for _, m := range cons.messages() {
		if m.IsException() || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning {
			// A 409 answer is logged as a failed resource load; nothing else may be.
			if strings.Contains(m.Text, "409") {
				continue
			}
			t.Errorf("console: %s: %s", m.Type, m.Text)
		}
	}
}
