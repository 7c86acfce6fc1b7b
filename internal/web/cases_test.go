package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/aws/support"
	"github.com/opsdesk/opsdesk/internal/cases"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// casesConfig configures one AWS account (the fake Support API stands in
// for it) and a data directory for attachments.
func casesConfig(dataDir string) string {
	return "data_dir: " + dataDir + `
aws:
  accounts:
    - {name: prod, languages: [en, ja, zh, ko]}
`
}

func supportClient(t *testing.T, f *fake.Support) *support.Client {
	t.Helper()
	c, err := support.New(support.Options{
		Credentials: f.CredentialsProvider(),
		Endpoint:    f.URL(),
		LookupEnv:   func(string) (string, bool) { return "", false },
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
		RetryMode:   aws.RetryModeStandard,
		MaxAttempts: 3,
		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The hand-written cases the tests know by heart, next to 60 generated
// ones.
const (
	jpCaseID      = "case-123456789012-muja-2025-aaaaaaaaaaaaaaa1"
	pendingCaseID = "case-123456789012-muen-2025-aaaaaaaaaaaaaaa2"
	koCaseID      = "case-123456789012-muko-2025-aaaaaaaaaaaaaaa3"
	oldCaseID     = "case-123456789012-muen-2024-aaaaaaaaaaaaaaa4"
	xssCaseID     = "case-123456789012-muen-2025-aaaaaaaaaaaaaaa5"
	logName       = "接続ログ 2025.txt"
	logContent    = "2025-06-10T01:02:03Z ssh: connect to host 10.0.0.1 port 22: Connection timed out\n"
	htmlContent   = "<html><script>alert(document.cookie)</script></html>"
)

func tinyPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func handCases(t *testing.T) []fake.SupportCase {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	customer := "AdminRole (Role) <tanaka@example.co.jp>"
	return []fake.SupportCase{
		{
			CaseID: jpCaseID, DisplayID: "17000000001", Subject: "EC2 インスタンスに SSH 接続できない", Status: "resolved",
			ServiceCode: "amazon-elastic-compute-cloud-linux", CategoryCode: "connectivity", SeverityCode: "urgent",
			SubmittedBy: "tanaka@example.co.jp", Language: "ja", TimeCreated: at("2025-06-10T01:00:00Z"),
			Communications: []fake.SupportCommunication{
				{Body: "本番環境の EC2 に SSH できません。\n昨日から発生しています。", SubmittedBy: customer, TimeCreated: at("2025-06-10T01:00:00Z"),
					Attachments: []fake.SupportAttachment{{ID: "att-log", FileName: logName, Data: []byte(logContent)}}},
				{Body: "お問い合わせありがとうございます。\n\nリージョンで障害が発生していました。現在は復旧しています。", SubmittedBy: awsSubmitter, TimeCreated: at("2025-06-10T03:00:00Z")},
				{Body: "復旧を確認しました。ありがとうございました。", SubmittedBy: customer, TimeCreated: at("2025-06-10T04:30:00Z"),
					Attachments: []fake.SupportAttachment{
						{ID: "att-png", FileName: "screen.png", Data: tinyPNG(t)},
						{ID: "att-html", FileName: "report.html", Data: []byte(htmlContent)},
					}},
			},
		},
		{
			CaseID: pendingCaseID, DisplayID: "17000000002", Subject: "RDS failover question", Status: "pending-customer-action",
			ServiceCode: "amazon-relational-database-service-mysql", CategoryCode: "failover", SeverityCode: "high",
			SubmittedBy: "ops@example.com", Language: "en", TimeCreated: at("2025-12-20T09:00:00Z"),
			Communications: []fake.SupportCommunication{
				{Body: "Our Multi-AZ instance failed over twice last night.", SubmittedBy: "AdminRole (Role) <ops@example.com>", TimeCreated: at("2025-12-20T09:00:00Z")},
				{Body: "Hello,\n\nCould you share the instance identifier?\n\nBest regards,\nAmazon Web Services", SubmittedBy: awsSubmitter, TimeCreated: at("2025-12-30T23:00:00Z")},
			},
		},
		{
			CaseID: koCaseID, DisplayID: "17000000003", Subject: "로드 밸런서 장애 문의", Status: "resolved",
			ServiceCode: "elastic-load-balancing", CategoryCode: "connectivity", SeverityCode: "normal",
			SubmittedBy: "kim@example.co.kr", Language: "ko", TimeCreated: at("2025-09-01T00:00:00Z"),
			Communications: []fake.SupportCommunication{
				{Body: "ALB 에서 502 오류가 발생합니다.", SubmittedBy: "AdminRole (Role) <kim@example.co.kr>", TimeCreated: at("2025-09-01T00:00:00Z")},
			},
		},
		{
			// Everything AWS or a customer wrote is text, never markup.
			CaseID: xssCaseID, DisplayID: "17000000005", Subject: `<script>alert("subject")</script> & co`, Status: "opened",
			ServiceCode: `svc"><script>alert(1)</script>`, CategoryCode: "other", SeverityCode: "low",
			SubmittedBy: "ops@example.com", Language: "en", TimeCreated: at("2025-05-05T00:00:00Z"),
			Communications: []fake.SupportCommunication{
				{Body: `<img src=x onerror=alert(2)> Hello`, SubmittedBy: `<b>Mallory</b> <m@example.com>`, TimeCreated: at("2025-05-05T00:00:00Z")},
			},
		},
		{
			CaseID: oldCaseID, DisplayID: "17000000004", Subject: "Old S3 lifecycle question", Status: "resolved",
			ServiceCode: "amazon-simple-storage-service", CategoryCode: "general-guidance", SeverityCode: "low",
			SubmittedBy: "ops@example.com", Language: "en", TimeCreated: at("2024-03-01T00:00:00Z"),
			Communications: []fake.SupportCommunication{
				{Body: "How do lifecycle rules apply to versioned objects?", SubmittedBy: "AdminRole (Role) <ops@example.com>", TimeCreated: at("2024-03-01T00:00:00Z")},
			},
		},
	}
}

// loadCases syncs the hand-written and 60 generated cases from the fake
// Support API into the env's store and attachment store, then has AWS
// drop the old case (the archive keeps it).
func loadCases(t *testing.T, e *env) []fake.SupportCase {
	t.Helper()
	ctx := context.Background()
	f := fake.NewSupport(t)
	data := append(handCases(t), fake.SupportGen{Cases: 60, Seed: 1}.Generate()...)
	f.Load(data)
	blobs, err := e.h.caseBlobs()
	if err != nil {
		t.Fatal(err)
	}
	sy := &cases.Syncer{Store: cases.NewStore(e.st), Blobs: blobs, Overlap: time.Hour, ResolvedRepoll: 5 * 365 * 24 * time.Hour}
	acct := cases.Account{Name: "prod", Languages: []string{"en", "ja", "zh", "ko"}, Client: supportClient(t, f)}
	if res, err := sy.Sync(ctx, acct, time.Time{}); err != nil || res.CasesNew != len(data) || len(res.Failures) > 0 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	f.Remove(oldCaseID)
	if res, err := sy.Sync(ctx, acct, time.Time{}); err != nil || res.CasesGone != 1 {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	return data
}

var segRE = regexp.MustCompile(`<rect class="seg ([a-z0-9-]+)"`)

func TestCasePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// Attachments in data_dir/attachments (the default) on SQLite,
		// in the database on PostgreSQL.
		var opts []func(*Handler)
		if st.Engine == store.Postgres {
			opts = append(opts, func(h *Handler) { h.blobs = dbBlobs(t, st) })
		}
		e := newEnv(t, st, casesConfig(t.TempDir()), opts...)
		blobs, err := e.h.caseBlobs()
		if err != nil {
			t.Fatal(err)
		}
		// The stats page covers the 24 months up to the fake's newest case.
		e.clock.t = time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)
		e.addUser("alice", auth.RoleAdmin)
		e.addUser("victor", auth.RoleViewer)
		data := loadCases(t, e)
		admin := e.browser("198.51.100.60")
		admin.login("alice")
		viewer := e.browser("198.51.100.61")
		viewer.login("victor")

		t.Run("login required", func(t *testing.T) {
			b := e.browser("198.51.100.62")
			for _, path := range []string{"/cases", "/cases/stats", "/cases/" + jpCaseID, "/cases/" + jpCaseID + "/attachments/1"} {
				r := b.get(path)
				if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login?next=") {
					t.Errorf("%s: %d %q", path, r.status, r.loc)
				}
			}
			b.post("/cases/sync", url.Values{"csrf": {"x"}}).want(t, http.StatusSeeOther)
		})

		t.Run("list", func(t *testing.T) {
			r := viewer.get("/cases?lang=en")
			r.want(t, http.StatusOK, `href="/cases" aria-current="page"`, "Support cases", "Showing cases 1–50",
				`rel="next"`, "17000000002", "RDS failover question", "Pending customer action", "Production system impaired",
				"amazon-relational-database-service-mysql", "2025-12-20", "2 messages", `href="/cases/stats"`, "Last synced:")
			// The viewer has no sync button.
			r.wantNot(t, `action="/cases/sync"`)
			next := regexp.MustCompile(`href="(/cases\?offset=50)" rel="next"`).FindStringSubmatch(r.body)
			if next == nil {
				t.Fatal("no link to the next page")
			}
			r = viewer.get(next[1])
			r.want(t, http.StatusOK, fmt.Sprintf("Showing cases 51–%d", len(data)), `rel="prev"`, "17000000004")
			r.wantNot(t, `rel="next"`)
			viewer.get("/cases?offset=5000").want(t, http.StatusOK, "No more cases.")

			// The case AWS no longer has is kept, and says so.
			r = viewer.get("/cases?q=" + url.QueryEscape("lifecycle versioned"))
			r.want(t, http.StatusOK, "17000000004", "Kept here — no longer at AWS", "AWS stopped returning this case on")

			// Filters.
			r = viewer.get("/cases?status=pending-customer-action")
			r.want(t, http.StatusOK, "17000000002")
			r.wantNot(t, "17000000001", "17000000003", `class="badge cs-resolved"`)
			r = viewer.get("/cases?status=open")
			r.wantNot(t, "17000000001", `class="badge cs-resolved"`)
			r.want(t, http.StatusOK, "17000000002", `<option value="open" selected>`)
			r = viewer.get("/cases?language=ko&severity=normal&service=elastic-load-balancing")
			r.want(t, http.StatusOK, "17000000003")
			r.wantNot(t, "17000000001", "17000000002")
			r = viewer.get("/cases?from=2025-06-10&to=2025-06-10&account=prod")
			r.want(t, http.StatusOK, "17000000001")
			r.wantNot(t, "17000000002")
			viewer.get("/cases?account=nope").want(t, http.StatusOK, "No cases match these filters.", `<option value="nope" selected>`)
			viewer.get("/cases?from=someday").want(t, http.StatusOK, "“someday” is not a date")
			// Unknown statuses are ignored, not passed on.
			viewer.get("/cases?status=bogus").want(t, http.StatusOK, "Showing cases 1–50")

			// What the last sync reported, out of the way.
			e.exec(`INSERT INTO case_sync_state (account, language, high_water, last_sync_at, last_error) VALUES ('prod', 'tr', 0, ?, ?)`,
				store.Millis(e.clock.Now()), "Invalid value 'tr' for language")
			viewer.get("/cases?lang=en").want(t, http.StatusOK, `<details class="sync-problems">`, "Notes from the last sync (1)", "prod (tr): Invalid value &#39;tr&#39; for language")
			e.exec(`DELETE FROM case_sync_state WHERE language = 'tr'`)

			// Labels in every language.
			viewer.get("/cases?status=pending-customer-action&lang=ja").want(t, http.StatusOK, "サポートケース", "お客様の対応待ち", "本番システムの障害", "メッセージ 2 件")
			viewer.get("/cases?status=pending-customer-action&lang=zh").want(t, http.StatusOK, "支持案例", "等待客户操作", "生产系统受损")
			viewer.get("/cases?status=pending-customer-action&lang=ko").want(t, http.StatusOK, "지원 사례", "고객 조치 대기 중", "프로덕션 시스템 손상")
		})

		t.Run("search", func(t *testing.T) {
			// A 2-character Japanese word in a message, not the subject.
			r := viewer.get("/cases?q=" + url.QueryEscape("障害"))
			r.want(t, http.StatusOK, "17000000001", "<mark>障害</mark>", `class="snippet" lang="ja"`)
			r.wantNot(t, "17000000002")
			// A Korean one in a subject.
			r = viewer.get("/cases?q=" + url.QueryEscape("장애") + "&language=ko")
			r.want(t, http.StatusOK, "17000000003", "로드 밸런서 <mark>장애</mark> 문의")
			viewer.get("/cases?lang=en&q="+url.QueryEscape("zzyzx-nothing")).want(t, http.StatusOK, "No cases match these filters.", "Clear filters")
			viewer.get("/cases?lang=en&q="+url.QueryEscape("\"()*")).want(t, http.StatusOK, "No cases match these filters.")
			// A case number goes straight to the case.
			r = viewer.get("/cases?q=17000000002")
			if r.status != http.StatusSeeOther || r.loc != "/cases/"+pendingCaseID {
				t.Errorf("case number search: %d %q", r.status, r.loc)
			}
		})

		var attURLs []string
		t.Run("case page", func(t *testing.T) {
			r := viewer.get("/cases/" + jpCaseID + "?lang=en")
			r.want(t, http.StatusOK, "EC2 インスタンスに SSH 接続できない", "17000000001", "Resolved", "Production system down",
				jpCaseID, "amazon-elastic-compute-cloud-linux", "connectivity", "日本語",
				"2025-06-10 01:00:00 UTC", `datetime="2025-06-10T03:00:00Z"`,
				// Line breaks are kept (the body is shown pre-wrapped).
				"本番環境の EC2 に SSH できません。\n昨日から発生しています。",
				"AdminRole (Role) &lt;tanaka@example.co.jp&gt;", "Your team", "AWS Support",
				logName, "screen.png", "report.html", "81 B")
			// In time order, each with who wrote it.
			i1 := strings.Index(r.body, "SSH できません")
			i2 := strings.Index(r.body, "障害が発生していました")
			i3 := strings.Index(r.body, "復旧を確認しました")
			if !(i1 > 0 && i1 < i2 && i2 < i3) {
				t.Errorf("thread out of order: %d %d %d", i1, i2, i3)
			}
			if n := strings.Count(r.body, `class="msg from-aws"`); n != 1 {
				t.Errorf("%d messages from AWS, want 1", n)
			}
			if n := strings.Count(r.body, `class="msg from-customer"`); n != 2 {
				t.Errorf("%d messages from the customer, want 2", n)
			}
			for _, m := range regexp.MustCompile(`href="(/cases/[^"]+/attachments/\d+)" download`).FindAllStringSubmatch(r.body, -1) {
				attURLs = append(attURLs, m[1])
			}
			if len(attURLs) != 3 {
				t.Fatalf("%d attachment links, want 3", len(attURLs))
			}
			// By display id too; in Japanese.
			viewer.get("/cases/17000000001?lang=ja").want(t, http.StatusOK, "AWS サポート", "自社", "添付ファイル", "解決済み")
			// The case AWS dropped.
			viewer.get("/cases/"+oldCaseID+"?lang=en").want(t, http.StatusOK, `class="kept-note"`, "Every message and attachment is kept here")
			viewer.get("/cases/case-nope").want(t, http.StatusNotFound, "There is no case with this ID in the archive.")
		})

		t.Run("attachments", func(t *testing.T) {
			if len(attURLs) != 3 {
				t.Fatalf("%d attachment links from the case page; want 3", len(attURLs))
			}
			for i, tc := range []struct {
				content     []byte
				contentType string
				disposition string
			}{
				{[]byte(logContent), "text/plain; charset=utf-8", `attachment; filename="____ 2025.txt"; filename*=UTF-8''%E6%8E%A5%E7%B6%9A%E3%83%AD%E3%82%B0%202025.txt`},
				{tinyPNG(t), "image/png", `attachment; filename="screen.png"; filename*=UTF-8''screen.png`},
				{[]byte(htmlContent), "application/octet-stream", `attachment; filename="report.html"; filename*=UTF-8''report.html`},
			} {
				r := viewer.get(attURLs[i])
				r.want(t, http.StatusOK)
				if r.body != string(tc.content) {
					t.Errorf("%s: %d bytes differ from the attachment", attURLs[i], len(r.body))
				}
				sum := sha256.Sum256(tc.content)
				if stored := readBlob(t, blobs, hex.EncodeToString(sum[:])); !bytes.Equal(stored, []byte(r.body)) {
					t.Errorf("%s: download differs from the stored file", attURLs[i])
				}
				for k, want := range map[string]string{
					"Content-Type": tc.contentType, "Content-Disposition": tc.disposition, "X-Content-Type-Options": "nosniff",
					"Content-Length": fmt.Sprint(len(tc.content)),
				} {
					if got := r.header.Get(k); got != want {
						t.Errorf("%s: %s %q, want %q", attURLs[i], k, got, want)
					}
				}
				if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
					t.Errorf("%s: CSP %q", attURLs[i], csp)
				}
			}
			// An attachment id of another case, a bad id, an unknown case.
			id := attURLs[0][strings.LastIndex(attURLs[0], "/")+1:]
			idNum, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			viewer.get("/cases/"+pendingCaseID+"/attachments/"+id).want(t, http.StatusNotFound, "This attachment is not stored in the archive.")
			viewer.get("/cases/"+jpCaseID+"/attachments/x").want(t, http.StatusNotFound)
			viewer.get("/cases/"+jpCaseID+"/attachments/999999").want(t, http.StatusNotFound)
			viewer.get("/cases/case-nope/attachments/"+id).want(t, http.StatusNotFound)
			// Not stored: pending in the database, or its file gone.
			e.exec(`UPDATE case_attachments SET status = 'pending' WHERE id = ?`, idNum)
			viewer.get(attURLs[0]).want(t, http.StatusNotFound)
			viewer.get("/cases/"+jpCaseID).want(t, http.StatusOK, "not downloaded yet")
			e.exec(`UPDATE case_attachments SET status = 'stored' WHERE id = ?`, idNum)
			sum := sha256.Sum256([]byte(logContent))
			if err := blobs.Delete(context.Background(), hex.EncodeToString(sum[:])); err != nil {
				t.Fatal(err)
			}
			viewer.get(attURLs[0]).want(t, http.StatusNotFound)
		})

		t.Run("escaping", func(t *testing.T) {
			for _, path := range []string{"/cases?lang=en&q=subject", "/cases/" + xssCaseID, "/cases/stats", "/?lang=en"} {
				r := viewer.get(path)
				r.want(t, http.StatusOK)
				r.wantNot(t, "<script>alert", "<img src=x", "<b>Mallory")
			}
			viewer.get("/cases/"+xssCaseID).want(t, http.StatusOK, "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt; &amp; co", "&lt;img src=x onerror=alert(2)&gt; Hello")
		})

		t.Run("sync", func(t *testing.T) {
			before := e.syncJobs()
			// A viewer sees no button and may not post.
			viewer.post("/cases/sync", url.Values{"csrf": {viewer.csrf()}}).want(t, http.StatusForbidden, "view but not change")
			// CSRF: none, forged, cross-site.
			admin.post("/cases/sync", url.Values{}).want(t, http.StatusForbidden, "This form has expired")
			admin.post("/cases/sync", url.Values{"csrf": {"forged"}}).want(t, http.StatusForbidden)
			tok := admin.csrf()
			admin.post("/cases/sync", url.Values{"csrf": {tok}}, "Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden)
			if n := e.syncJobs(); n != before {
				t.Fatalf("refused posts queued %d syncs", n-before)
			}
			r := admin.get("/cases")
			r.want(t, http.StatusOK, `action="/cases/sync"`, "Sync now")
			r = admin.post("/cases/sync", url.Values{"csrf": {tok}, "next": {"https://evil.example/"}})
			if r.status != http.StatusSeeOther || r.loc != "/cases?notice=sync_queued" {
				t.Fatalf("sync: %d %q", r.status, r.loc)
			}
			if n := e.syncJobs(); n != before+1 {
				t.Errorf("%d sync jobs queued, want 1", n-before)
			}
			admin.get(r.loc+"&lang=ja").want(t, http.StatusOK, "同期を開始しました。")
		})

		t.Run("stats", func(t *testing.T) {
			r := viewer.get("/cases/stats?lang=en")
			r.want(t, http.StatusOK, "<svg", `role="img"`, "<title id=\"by-service-title\">Cases per month by service</title>",
				"<desc id=\"by-severity-desc\">", "Time to resolution", "Median", "90th percentile",
				"<table>", "Production system down")
			if n := strings.Count(r.body, "<svg class=\"chart\""); n != 3 {
				t.Errorf("%d charts, want 3", n)
			}
			if n := strings.Count(r.body, `<g class="month"`); n != 3*statsMonths {
				t.Errorf("%d month groups, want %d", n, 3*statsMonths)
			}
			// Known data: cases opened per month, and one bar segment per
			// month and severity that has cases.
			perMonth := map[string]int{}
			pairs := map[string]bool{}
			for _, c := range data {
				if c.TimeCreated.Before(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
					continue
				}
				m := c.TimeCreated.UTC().Format("2006-01")
				perMonth[m]++
				pairs[m+" "+c.SeverityCode] = true
			}
			sev := r.body[strings.Index(r.body, `id="by-severity"`):strings.Index(r.body, `id="resolution"`)]
			for m, n := range perMonth {
				if !strings.Contains(sev, fmt.Sprintf(`data-month="%s" data-total="%d"`, m, n)) {
					t.Errorf("severity chart: month %s should have %d cases", m, n)
				}
			}
			segs := 0
			for _, m := range segRE.FindAllStringSubmatch(sev, -1) {
				if strings.HasPrefix(m[1], "sev-") {
					segs++
				}
			}
			if segs != len(pairs) {
				t.Errorf("severity chart has %d bar segments, want %d", segs, len(pairs))
			}
			svc := r.body[strings.Index(r.body, `id="by-service"`):strings.Index(r.body, `id="by-severity"`)]
			total := 0
			for _, n := range perMonth {
				total += n
			}
			if !strings.Contains(r.body, fmt.Sprintf("Last 24 months (UTC), Jan 2024 to Dec 2025: %d cases opened.", total)) {
				t.Errorf("the page does not say %d cases were opened", total)
			}
			if n := strings.Count(svc, `<rect class="seg p`); n < len(perMonth) {
				t.Errorf("service chart has %d segments for %d months", n, len(perMonth))
			}
			// The Japanese case took 3.5 h to resolve; June 2025 has its
			// bars (median and 90th percentile).
			res := r.body[strings.Index(r.body, `id="resolution"`):]
			if !regexp.MustCompile(`data-month="2025-06" data-total="[1-9]\d*"><rect class="seg res-p90"`).MatchString(res) {
				t.Error("resolution chart: no bars for June 2025")
			}
			viewer.get("/cases/stats?lang=ja").want(t, http.StatusOK, "サービス別の月間ケース数", "重要度別の月間ケース数", "解決までの時間", "中央値", "2024年1月")
			viewer.get("/cases/stats?lang=ko").want(t, http.StatusOK, "서비스별 월간 사례 수", "2024년 1월")
			r = viewer.get("/cases/stats?account=nobody&lang=en")
			r.want(t, http.StatusOK, "No cases in these months.")
		})

		t.Run("home", func(t *testing.T) {
			waiting, newest, latest := 0, "", time.Time{}
			for _, c := range data {
				if c.Status == "pending-customer-action" && c.CaseID != oldCaseID {
					waiting++
					if last := c.Communications[len(c.Communications)-1].TimeCreated; last.After(latest) {
						newest, latest = c.CaseID, last
					}
				}
			}
			r := viewer.get("/?lang=en")
			r.want(t, http.StatusOK, `id="awaiting-cases"`, "Cases awaiting your action",
				fmt.Sprintf("Cases awaiting your action: %d", waiting), `href="/cases?status=pending-customer-action"`,
				`href="/cases/`+pendingCaseID+`"`, "RDS failover question")
			// The most recently active first.
			first := regexp.MustCompile(`id="awaiting-cases"[\s\S]*?<a class="ref" href="([^"]+)"`).FindStringSubmatch(r.body)
			if first == nil || first[1] != "/cases/"+newest {
				t.Errorf("first awaiting case: %v", first)
			}
			viewer.get("/?lang=ja").want(t, http.StatusOK, fmt.Sprintf("お客様の対応待ちのケースが %d 件あります", waiting))
			e.exec(`UPDATE cases SET status = 'work-in-progress' WHERE status = 'pending-customer-action'`)
			r = viewer.get("/?lang=en")
			r.want(t, http.StatusOK, `id="awaiting-cases"`, "No case is waiting for your action.")
			r.wantNot(t, "Cases awaiting your action:")
		})
	})
}

func (e *env) syncJobs() int {
	e.t.Helper()
	var n int
	if err := e.st.R.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'case_sync_all'`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestCaseEmptyStates(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite)
	// No account configured: how to add one.
	e := newEnv(t, st, "")
	e.addUser("alice", auth.RoleAdmin)
	b := e.browser("")
	b.login("alice")
	r := b.get("/cases?lang=en")
	r.want(t, http.StatusOK, "No AWS account is configured yet.", "aws:\n  accounts:\n    - name: prod", "role_arn:", "opsdesk cases sync", "cases.sync_interval")
	r.wantNot(t, `action="/cases/sync"`, `role="search"`)
	b.get("/cases?lang=ja").want(t, http.StatusOK, "AWS アカウントがまだ設定されていません。")
	// Home does not show an archive nobody uses.
	b.get("/").wantNot(t, `id="awaiting-cases"`)
	// The sync button's target says there is nothing to sync.
	r = b.post("/cases/sync", url.Values{"csrf": {b.csrf()}})
	if r.status != http.StatusSeeOther || r.loc != "/cases?notice=sync_no_accounts" {
		t.Errorf("sync without accounts: %d %q", r.status, r.loc)
	}
	b.get("/cases/stats?lang=en").want(t, http.StatusOK, "No cases in these months.")

	// An account, nothing synced yet.
	e2 := newEnv(t, st, casesConfig(t.TempDir()))
	b2 := e2.browser("")
	b2.login("alice")
	r = b2.get("/cases?lang=en")
	r.want(t, http.StatusOK, "No cases archived yet.", "every 1 h", "Not synced yet.", `action="/cases/sync"`)
	b2.get("/").want(t, http.StatusOK, `id="awaiting-cases"`, "No case is waiting for your action.")
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"report.pdf":         `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
		"障害 報告.xlsx":         `attachment; filename="__ __.xlsx"; filename*=UTF-8''%E9%9A%9C%E5%AE%B3%20%E5%A0%B1%E5%91%8A.xlsx`,
		`a"b;c%d.txt`:        `attachment; filename="a_b_c_d.txt"; filename*=UTF-8''a%22b%3Bc%25d.txt`,
		"../../etc/passwd":   `attachment; filename="passwd"; filename*=UTF-8''passwd`,
		`C:\temp\x.log`:      `attachment; filename="x.log"; filename*=UTF-8''x.log`,
		"line\r\nbreak.txt":  `attachment; filename="line__break.txt"; filename*=UTF-8''line__break.txt`,
		"":                   `attachment; filename="attachment"; filename*=UTF-8''attachment`,
		"données (1).csv":    `attachment; filename="donn_es (1).csv"; filename*=UTF-8''donn%C3%A9es%20%281%29.csv`,
		"emoji-😀.png":        `attachment; filename="emoji-_.png"; filename*=UTF-8''emoji-%F0%9F%98%80.png`,
		"tab\there.txt":      `attachment; filename="tab_here.txt"; filename*=UTF-8''tab_here.txt`,
		"plain name.tar.gz":  `attachment; filename="plain name.tar.gz"; filename*=UTF-8''plain%20name.tar.gz`,
		"back\\slash\\x.txt": `attachment; filename="x.txt"; filename*=UTF-8''x.txt`,
	} {
		if got := contentDisposition(in); got != want {
			t.Errorf("contentDisposition(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestDownloadType(t *testing.T) {
	t.Parallel()
	pngData := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for _, tc := range []struct {
		name string
		head []byte
		want string
	}{
		{"app.log", []byte("2025-01-01 INFO ok\n"), "text/plain; charset=utf-8"},
		{"notes.txt", []byte("障害の記録\n"), "text/plain; charset=utf-8"},
		{"page.html", []byte("<html><body>hi</body></html>"), "application/octet-stream"},
		{"notes.txt", []byte("<html><script>alert(1)</script>"), "application/octet-stream"},
		{"drawing.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "application/octet-stream"},
		{"shot.png", pngData, "image/png"},
		{"shot.jpg", pngData, "application/octet-stream"},
		{"shot.png", []byte("not a png at all"), "application/octet-stream"},
		{"dump.bin", []byte{0, 1, 2, 3}, "application/octet-stream"},
		{"script.js", []byte("alert(1)"), "application/octet-stream"},
		{"big.txt", []byte{0xff, 0xfe, 'a'}, "application/octet-stream"},
	} {
		if got := downloadType(tc.name, tc.head); got != tc.want {
			t.Errorf("downloadType(%q, %q) = %q, want %q", tc.name, tc.head, got, tc.want)
		}
	}
}

func TestChartScale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		max   float64
		top   float64
		ticks int
	}{
		{0, 1, 2}, {1, 1, 2}, {3, 3, 4}, {6, 6, 4}, {7, 8, 5}, {23, 30, 4}, {120, 150, 4}, {1.5, 2, 3}, {0.4, 0.4, 5},
	} {
		top, ticks := scale(tc.max)
		if math.Abs(top-tc.top) > 1e-9 || len(ticks) != tc.ticks || top < tc.max {
			t.Errorf("scale(%v) = %v %v, want top %v with %d ticks", tc.max, top, ticks, tc.top, tc.ticks)
		}
	}
	p := &page{Lang: "en"}
	for d, want := range map[time.Duration]string{
		45 * time.Minute: "45 min", 5*time.Hour + 30*time.Minute: "5.5 h", 80 * time.Hour: "3.3 d", 0: "0 min",
	} {
		if got := formatDuration(p, d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		time.Hour: "1 h", 90 * time.Minute: "1.5 h", 15 * time.Minute: "15 min", 48 * time.Hour: "2 d",
	} {
		if got := intervalText(p, d); got != want {
			t.Errorf("intervalText(%v) = %q, want %q", d, got, want)
		}
	}
	if got := intervalText(&page{Lang: "ja"}, time.Hour); got != "1 時間" {
		t.Errorf("intervalText in Japanese: %q", got)
	}
	for in, want := range map[string][2]string{
		"en": {"Jan 2025", "Jan"}, "ja": {"2025年1月", "1月"}, "zh": {"2025年1月", "1月"}, "ko": {"2025년 1월", "1월"},
	} {
		long, short := monthLabel(in, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		if long != want[0] || short != want[1] {
			t.Errorf("monthLabel(%s) = %q %q", in, long, short)
		}
	}
}
