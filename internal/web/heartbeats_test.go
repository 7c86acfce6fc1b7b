package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/heartbeat"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestHeartbeatPages: a writer creates a monitor and sees its URL once with
// the curl, crontab, systemd and Zabbix lines; a ping shows as the last
// ping and in the history; a viewer reads but gets no form and cannot
// create; the writer deletes it. In every language.
func TestHeartbeatPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var mu sync.Mutex
		var sigs []parse.Signal
		var svc *heartbeat.Service
		e := newEnv(t, st, "base_url: https://desk.example\n", func(h *Handler) {
			svc = heartbeat.New(st, heartbeat.Options{Now: h.now, Alerts: heartbeat.AlerterFunc(func(_ context.Context, s []parse.Signal, _ string) error {
				mu.Lock()
				sigs = append(sigs, s...)
				mu.Unlock()
				return nil
			})})
			h.heartbeats = svc
		})
		e.addUser("rita", auth.RoleResponder)
		e.addUser("vic", auth.RoleViewer)
		rita := e.browser("")
		rita.login("rita")
		rita.get("/heartbeats").want(t, http.StatusOK, "No heartbeat monitors yet.", `href="/heartbeats"`, `action="/heartbeats"`)
		for _, c := range []struct{ lang, text string }{{"ja", "ハートビート監視はまだありません。"}, {"zh", "尚无心跳监控。"}, {"ko", "아직 하트비트 모니터가 없습니다."}} {
			rita.get("/heartbeats?lang="+c.lang).want(t, http.StatusOK, c.text)
		}
		rita.get("/heartbeats?lang=en")

		form := url.Values{"csrf": {rita.csrf()}, "name": {"nightly-backup"}, "system": {"backup"}, "interval": {"15m"}, "grace": {"5m"}, "severity": {"warning"}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("interval", "often")
		rita.post("/heartbeats", bad).want(t, http.StatusBadRequest, "A duration such as 1h, 15m or 30s.", `value="often"`)
		r := rita.post("/heartbeats", form)
		r.want(t, http.StatusCreated, "Monitor nightly-backup created.", "Copy it now: it is shown only once.",
			"curl -fsS -m 10 --retry 3 -o /dev/null https://desk.example/api/v1/heartbeats/hb_",
			"*/15 * * * * /usr/local/bin/nightly-backup.sh &amp;&amp; curl",
			"ExecStart=/bin/sh -c &#39;/usr/local/bin/nightly-backup.sh; curl -fsS -m 10 -o /dev/null https://desk.example/api/v1/heartbeats/hb_",
			"/{EVENT.VALUE}", "every 15m (&#43;5m grace)", "waiting for the first ping")
		m := regexp.MustCompile(`id="heartbeat-url">https://desk\.example/api/v1/heartbeats/(hb_[A-Za-z0-9_-]+)<`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("no URL on the page:\n%s", r.body)
		}
		rita.post("/heartbeats", form).want(t, http.StatusConflict, "A monitor named nightly-backup exists.")

		e.clock.Advance(time.Minute)
		if _, err := svc.Ping(context.Background(), m[1], heartbeat.StatusOK, "198.51.100.9"); err != nil {
			t.Fatal(err)
		}
		r = rita.get("/heartbeats")
		r.want(t, http.StatusOK, ">up<", "198.51.100.9", e.clock.Now().Format("2006-01-02 15:04"))
		r.wantNot(t, m[1]) // the token is not shown again

		vic := e.browser("")
		vic.login("vic")
		vic.get("/heartbeats?lang=ja").want(t, http.StatusOK, "nightly-backup", "正常")
		vic.get("/heartbeats").wantNot(t, `action="/heartbeats"`, "/delete")
		if r := vic.post("/heartbeats", url.Values{"csrf": {vic.csrf()}, "name": {"x"}, "system": {"s"}, "interval": {"1h"}}); r.status != http.StatusForbidden {
			t.Fatalf("viewer create: %d", r.status)
		}

		r = rita.post("/heartbeats/nightly-backup/delete", url.Values{"csrf": {rita.csrf()}})
		if r.status != http.StatusSeeOther || r.loc != "/heartbeats?done=deleted" {
			t.Fatalf("delete: %d %s", r.status, r.loc)
		}
		rita.get(r.loc).want(t, http.StatusOK, "The monitor was deleted.", "No heartbeat monitors yet.")
		mu.Lock()
		defer mu.Unlock()
		if len(sigs) != 1 || sigs[0].Status != parse.StatusResolved || sigs[0].DedupKey != "heartbeat/nightly-backup" || !strings.Contains(sigs[0].Summary, "pinged") {
			t.Fatalf("signals %+v", sigs)
		}
	})
}
