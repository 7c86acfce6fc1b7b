package fake

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"
)

// SupportCase is one case of a fake Support account: what the Support API
// reports about it, with every communication in time order (oldest first).
type SupportCase struct {
	CaseID           string
	DisplayID        string
	Subject          string
	Status           string // opened, pending-customer-action, customer-action-completed, work-in-progress, reopened, resolved, unassigned
	ServiceCode      string
	CategoryCode     string
	SeverityCode     string // low, normal, high, urgent, critical
	SubmittedBy      string
	Language         string // en, ja, zh, ko, …
	CcEmailAddresses []string
	TimeCreated      time.Time
	Communications   []SupportCommunication
}

// SupportCommunication is one message of a case.
type SupportCommunication struct {
	Body        string
	SubmittedBy string // "AdminRole (Role) <ops@example.com>" or "Amazon Web Services"
	TimeCreated time.Time
	Attachments []SupportAttachment
}

// SupportAttachment is a file attached to a communication.
type SupportAttachment struct {
	ID       string
	FileName string
	// Size is the content length. When Data is nil the content is
	// generated on demand from ID and Size (see Content), so a generated
	// archive with multi-megabyte files costs no memory until downloaded.
	Size int
	Data []byte
}

// supportMaxDescribeAttachment is the size limit of DescribeAttachment and
// of the communications' attachmentSet field (5 MB).
const supportMaxDescribeAttachment = 5 << 20

// Content returns the attachment's bytes: Data, or Size deterministic bytes
// derived from ID (text for .log/.txt/.csv/.json files, binary otherwise).
func (a SupportAttachment) Content() []byte {
	if a.Data != nil {
		return a.Data
	}
	h := fnv.New64a()
	h.Write([]byte(a.ID))
	seed := h.Sum64()
	out := make([]byte, a.Size)
	switch strings.ToLower(path.Ext(a.FileName)) {
	case ".log", ".txt", ".csv", ".json":
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seed%1e6) * time.Second)
		var b []byte
		for len(b) < a.Size {
			t = t.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
			b = fmt.Appendf(b, "%s %s [%s] %s\n", t.Format("2006-01-02T15:04:05.000Z"),
				logLevels[r.IntN(len(logLevels))], logComponents[r.IntN(len(logComponents))], logMessages[r.IntN(len(logMessages))])
		}
		copy(out, b)
	default:
		var key [32]byte
		for i := range 4 {
			s := seed + uint64(i)*0x9e3779b97f4a7c15
			for j := range 8 {
				key[i*8+j] = byte(s >> (8 * j))
			}
		}
		_, _ = rand.NewChaCha8(key).Read(out)
	}
	return out
}

var (
	logLevels     = []string{"INFO", "INFO", "INFO", "WARN", "ERROR"}
	logComponents = []string{"app", "db-pool", "http", "worker", "healthcheck", "kernel"}
	logMessages   = []string{
		"request completed status=200 latency_ms=12",
		"connection to db.internal:5432 timed out after 30000 ms",
		"upstream returned 502 Bad Gateway",
		"retrying in 2s (attempt 3/5)",
		"health check failed: target did not respond",
		"EBS volume vol-0a1b2c3d4e5f6a7b8 I/O wait 87%",
		"OOM killer invoked for pid 4211 (java)",
		"TLS handshake error from 10.0.3.17: EOF",
	}
)

// SupportGenEnd is the default newest time of a generated archive: fixed,
// so that the same seed always yields the same archive.
var SupportGenEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// SupportGen describes a generated Support archive. The zero value of each
// field selects a realistic default.
type SupportGen struct {
	// Cases is the number of cases.
	Cases int
	// Seed makes the archive reproducible: the same SupportGen yields the
	// same cases, ids, texts and attachment contents.
	Seed uint64
	// AccountID appears in case ids (default "123456789012").
	AccountID string
	// End is the newest time a case or communication can have (default
	// SupportGenEnd); Span how far back cases go (default two years).
	End  time.Time
	Span time.Duration
	// Languages the cases are written in (default en, ja, zh, ko, weighted
	// 40/30/15/15 %).
	Languages []string
	// Communications, when > 0, gives every case exactly that many
	// communications; otherwise most cases have a handful, some dozens and
	// a few more than 50.
	Communications int
	// NoAttachments leaves every communication without attachments.
	NoAttachments bool
}

// SupportGenerate returns a generated archive of n cases (see SupportGen).
func SupportGenerate(n int, seed uint64) []SupportCase {
	return SupportGen{Cases: n, Seed: seed}.Generate()
}

var supportStatuses = []string{"opened", "pending-customer-action", "customer-action-completed", "work-in-progress", "reopened", "resolved", "unassigned"}

var supportSeverities = []string{"low", "normal", "high", "urgent", "critical"}

// Generate builds the archive, newest case first. Coverage is guaranteed
// for archives of 100 cases or more: every language, status and severity
// occurs, at least two cases have more than 50 communications, and at
// least three attachments are larger than 5 MB (DescribeAttachment refuses
// them; GetAttachmentDownloadLink serves them).
func (g SupportGen) Generate() []SupportCase {
	if g.AccountID == "" {
		g.AccountID = "123456789012"
	}
	if g.End.IsZero() {
		g.End = SupportGenEnd
	}
	if g.Span <= 0 {
		g.Span = 2 * 365 * 24 * time.Hour
	}
	langs := g.Languages
	weights := []int{40, 30, 15, 15}
	if len(langs) == 0 {
		langs = []string{"en", "ja", "zh", "ko"}
	} else {
		weights = nil
	}
	r := rand.New(rand.NewPCG(g.Seed, g.Seed^0x5eed5eed5eed5eed))
	ids := rand.New(rand.NewPCG(g.Seed^0xa77ac4, g.Seed+1))

	// Creation times first, so display ids follow creation order.
	created := make([]time.Time, g.Cases)
	for i := range created {
		created[i] = g.End.Add(-time.Duration(r.Int64N(int64(g.Span)))).Truncate(time.Millisecond)
	}
	slices.SortFunc(created, func(a, b time.Time) int { return a.Compare(b) })

	heavy := map[int]bool{} // cases with more than 50 communications
	large := map[int]bool{} // cases with an attachment over 5 MB
	if g.Cases >= 100 {
		heavy[g.Cases/3], heavy[2*g.Cases/3] = true, true
		k := max(3, g.Cases/200)
		for j := 1; j <= k; j++ {
			large[j*g.Cases/(k+1)] = true
		}
	}

	cases := make([]SupportCase, g.Cases)
	for i := range cases {
		lang := pickWeighted(r, langs, weights)
		if i < len(langs) && g.Cases >= 100 {
			lang = langs[i]
		}
		svc := supportServices[r.IntN(len(supportServices))]
		cat := svc.categories[r.IntN(len(svc.categories))]
		age := g.End.Sub(created[i])
		status := "resolved"
		if age < 30*24*time.Hour || r.IntN(20) == 0 {
			status = supportStatuses[r.IntN(len(supportStatuses))]
		}
		severity := pickWeighted(r, supportSeverities, []int{30, 35, 20, 10, 5})
		if g.Cases >= 100 && i >= g.Cases-len(supportStatuses) {
			status = supportStatuses[g.Cases-1-i]
		}
		if g.Cases >= 100 && i >= 10 && i < 10+len(supportSeverities) {
			severity = supportSeverities[i-10]
		}
		person := supportPeople[lang]
		if person.email == "" {
			person = supportPeople["en"]
		}
		c := SupportCase{
			CaseID:       fmt.Sprintf("case-%s-mu%s-%d-%016x", g.AccountID, lang, created[i].Year(), ids.Uint64()),
			DisplayID:    fmt.Sprint(11000000000 + int64(i)*3 + int64(r.IntN(3))),
			Status:       status,
			ServiceCode:  svc.code,
			CategoryCode: cat,
			SeverityCode: severity,
			SubmittedBy:  person.email,
			Language:     lang,
			TimeCreated:  created[i],
		}
		if r.IntN(4) == 0 {
			c.CcEmailAddresses = []string{"oncall@example.com"}
		}
		t := texts(lang)
		problem := t.problems[r.IntN(len(t.problems))]
		vars := caseVars(r, svc)
		c.Subject = fill(problem.subject, vars)

		n := g.Communications
		if n <= 0 {
			switch x := r.Float64(); {
			case heavy[i] || x >= 0.97:
				n = 51 + r.IntN(40)
			case x >= 0.90:
				n = 31 + r.IntN(20)
			case x >= 0.60:
				n = 11 + r.IntN(20)
			default:
				n = 2 + r.IntN(9)
			}
		}
		c.Communications = genCommunications(r, ids, g, c, t, problem, vars, person, n, large[i])
		cases[i] = c
	}
	slices.Reverse(cases)
	return cases
}

// genCommunications writes a case's thread: the customer's description,
// then AWS and the customer taking turns, spaced minutes to days apart but
// never later than g.End.
func genCommunications(r, ids *rand.Rand, g SupportGen, c SupportCase, t supportTexts, problem supportProblem, vars map[string]string, person supportPerson, n int, large bool) []SupportCommunication {
	gaps := make([]time.Duration, n)
	var total time.Duration
	for k := 1; k < n; k++ {
		gaps[k] = time.Duration(5+r.IntN(60*30)) * time.Minute
		total += gaps[k]
	}
	if room := g.End.Sub(c.TimeCreated); total > room && total > 0 {
		for k := range gaps {
			gaps[k] = time.Duration(float64(gaps[k]) * float64(room) / float64(total))
		}
	}
	comms := make([]SupportCommunication, n)
	at := c.TimeCreated
	customer := fmt.Sprintf("AdminRole (Role) <%s>", person.email)
	for k := range comms {
		at = at.Add(gaps[k]).Truncate(time.Millisecond)
		if at.Before(c.TimeCreated) {
			at = c.TimeCreated
		}
		var body string
		fromAWS := k%2 == 1
		switch {
		case k == 0:
			body = fill(problem.body, vars) + "\n\n" + t.customerClosers[r.IntN(len(t.customerClosers))] + "\n" + person.name
		case fromAWS:
			// The last reply of each language closes a case that went
			// quiet; it only ends threads.
			replies := t.awsReplies[:len(t.awsReplies)-1]
			if k >= n-2 {
				replies = t.awsReplies
			}
			body = t.awsGreeting + "\n\n" + fill(replies[r.IntN(len(replies))], vars) + "\n\n" + t.awsSignature
		default:
			body = fill(t.customerReplies[r.IntN(len(t.customerReplies))], vars) + "\n\n" + person.name
		}
		m := SupportCommunication{Body: body, TimeCreated: at, SubmittedBy: customer}
		if fromAWS {
			m.SubmittedBy = "Amazon Web Services"
		}
		if !g.NoAttachments {
			chance := 8
			if fromAWS {
				chance = 30
			}
			if r.IntN(chance) == 0 {
				for range 1 + r.IntN(2) {
					m.Attachments = append(m.Attachments, genAttachment(r, ids, t, false))
				}
			}
			if large && k == 0 {
				m.Attachments = append(m.Attachments, genAttachment(r, ids, t, true))
			}
		}
		comms[k] = m
	}
	return comms
}

func genAttachment(r, ids *rand.Rand, t supportTexts, large bool) SupportAttachment {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id strings.Builder
	id.WriteString("attachment-")
	for range 48 {
		id.WriteByte(alphabet[ids.IntN(len(alphabet))])
	}
	a := SupportAttachment{ID: id.String()}
	switch {
	case large:
		a.FileName = largeFileNames[r.IntN(len(largeFileNames))]
		a.Size = 5<<20 + 256<<10 + r.IntN(4<<20) // 5.25–9.25 MB
	case r.IntN(50) == 0:
		a.FileName = "heap-histogram.txt"
		a.Size = 1<<20 + r.IntN(3<<20) // 1–4 MB
	default:
		names := slices.Concat(smallFileNames, t.fileNames)
		a.FileName = names[r.IntN(len(names))]
		a.Size = 200 + r.IntN(200<<10)
	}
	return a
}

var (
	smallFileNames = []string{"error.log", "app-server.log", "cloudwatch-metrics.csv", "screenshot.png", "traceroute.txt", "vpc-flow-logs.csv", "describe-instances.json", "mtr-report.txt"}
	largeFileNames = []string{"heapdump.hprof", "tcpdump-eth0.pcap", "sosreport.tar.xz", "core-dump.gz"}
)

func pickWeighted(r *rand.Rand, items []string, weights []int) string {
	if len(weights) != len(items) {
		return items[r.IntN(len(items))]
	}
	sum := 0
	for _, w := range weights {
		sum += w
	}
	x := r.IntN(sum)
	for i, w := range weights {
		if x < w {
			return items[i]
		}
		x -= w
	}
	return items[len(items)-1]
}

// caseVars are the concrete details one case's texts share.
func caseVars(r *rand.Rand, svc supportService) map[string]string {
	regions := []string{"ap-northeast-1", "us-east-1", "eu-west-1", "ap-northeast-2", "cn-north-1", "ap-southeast-1"}
	return map[string]string{
		"{service}":  svc.name,
		"{instance}": fmt.Sprintf("i-0%016x", r.Uint64()),
		"{db}":       fmt.Sprintf("prod-db-%02d", r.IntN(20)),
		"{region}":   regions[r.IntN(len(regions))],
		"{time}":     fmt.Sprintf("%02d:%02d UTC", r.IntN(24), r.IntN(60)),
		"{count}":    fmt.Sprint(2 + r.IntN(40)),
		"{percent}":  fmt.Sprint(5 + r.IntN(90)),
		"{bucket}":   fmt.Sprintf("logs-archive-%04d", r.IntN(10000)),
		"{lb}":       fmt.Sprintf("app/prod-alb/%012x", r.Uint64()>>16),
	}
}

func fill(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

type supportService struct {
	code, name string
	categories []string
}

// supportServices is the fake's DescribeServices catalogue: real service
// codes and category codes as the Support API uses them.
var supportServices = []supportService{
	{"amazon-elastic-compute-cloud-linux", "Elastic Compute Cloud (EC2 - Linux)", []string{"instance-issue", "performance", "connectivity", "general-guidance"}},
	{"amazon-elastic-compute-cloud-windows", "Elastic Compute Cloud (EC2 - Windows)", []string{"instance-issue", "performance", "general-guidance"}},
	{"amazon-simple-storage-service", "Simple Storage Service (S3)", []string{"performance", "data-management", "general-guidance"}},
	{"amazon-relational-database-service-mysql", "Relational Database Service (MySQL)", []string{"performance", "connectivity", "backup-restore", "general-guidance"}},
	{"amazon-relational-database-service-aurora-postgresql", "Relational Database Service (Aurora - PostgreSQL)", []string{"performance", "failover", "general-guidance"}},
	{"amazon-dynamodb", "DynamoDB", []string{"performance", "throttling", "general-guidance"}},
	{"aws-lambda", "Lambda", []string{"performance", "configuration", "general-guidance"}},
	{"elastic-load-balancing", "Elastic Load Balancing (ELB)", []string{"connectivity", "performance", "general-guidance"}},
	{"amazon-cloudfront", "CloudFront", []string{"performance", "configuration", "general-guidance"}},
	{"amazon-virtual-private-cloud", "Virtual Private Cloud (VPC)", []string{"connectivity", "configuration", "general-guidance"}},
	{"amazon-elastic-kubernetes-service", "Elastic Kubernetes Service (EKS)", []string{"cluster-issue", "networking", "general-guidance"}},
	{"amazon-elastic-container-service", "Elastic Container Service (ECS)", []string{"task-issue", "performance", "general-guidance"}},
	{"amazon-elasticache", "ElastiCache", []string{"performance", "failover", "general-guidance"}},
	{"aws-direct-connect", "Direct Connect", []string{"connectivity", "general-guidance"}},
	{"amazon-route53", "Route 53", []string{"dns-resolution", "general-guidance"}},
	{"amazon-cloudwatch", "CloudWatch", []string{"metrics", "alarms", "general-guidance"}},
	{"aws-identity-and-access-management", "Identity and Access Management (IAM)", []string{"access-issue", "general-guidance"}},
	{"amazon-connect", "Connect", []string{"telephony", "general-guidance"}},
	{"billing", "Billing", []string{"invoices", "payment", "other"}},
	{"general-info", "General Info and Getting Started", []string{"using-aws", "other"}},
}

type supportPerson struct{ name, email string }

var supportPeople = map[string]supportPerson{
	"en": {"Alice Johnson, Platform Team", "alice.johnson@example.com"},
	"ja": {"田中 太郎（インフラチーム）", "tanaka.taro@example.co.jp"},
	"zh": {"王伟（运维部）", "wang.wei@example.cn"},
	"ko": {"김민준 (인프라팀)", "kim.minjun@example.co.kr"},
}

type supportProblem struct{ subject, body string }

type supportTexts struct {
	problems        []supportProblem
	customerReplies []string
	customerClosers []string
	awsGreeting     string
	awsReplies      []string
	awsSignature    string
	fileNames       []string
}

func texts(lang string) supportTexts {
	if t, ok := supportTextsByLang[lang]; ok {
		return t
	}
	return supportTextsByLang["en"]
}

var supportTextsByLang = map[string]supportTexts{
	"en": {
		problems: []supportProblem{
			{"Outage: {service} unreachable in {region}", "Since {time} our production workload on {service} in {region} is unreachable. Instance {instance} fails its system status check and {count} requests per second are timing out. This is a customer-facing outage; please investigate urgently."},
			{"{service}: failover of {db} took much longer than expected", "During the maintenance window the Multi-AZ failover of {db} took about {count} minutes instead of the usual 60 seconds. Applications saw connection errors the whole time. Can you explain what happened and how we can shorten failovers?"},
			{"Elevated 5xx errors from load balancer {lb}", "Starting at {time} the load balancer {lb} returns 502 and 503 errors for roughly {percent}% of requests. Targets are healthy according to our own monitoring. Please check whether there is an issue on the AWS side."},
			{"Throttling on {service} despite low traffic", "We receive ThrottlingException from {service} in {region} although our request rate is far below the documented quota. The errors started at {time}. Please review our account limits."},
			{"Question about {service} quotas and best practices", "We are planning a launch and expect about {count} times our current traffic on {service}. Which quotas should we raise in advance, and are there best practices for this kind of load test?"},
			{"Instance {instance} degraded hardware notice", "We received a scheduled event for instance {instance} mentioning degraded hardware. The instance hosts a stateful service; can you confirm whether the underlying host has already failed and what our options are?"},
			{"S3 bucket {bucket}: intermittent 503 SlowDown", "Uploads to {bucket} intermittently fail with 503 SlowDown since {time}. We write about {count} thousand objects per minute with randomized prefixes. Is there a partition issue on the bucket?"},
		},
		customerReplies: []string{
			"Thank you for the update. We applied the suggested change at {time} but the errors are still occurring for about {percent}% of requests.",
			"Attached are the logs you asked for, covering the incident window.",
			"We can confirm the service has been stable for the last {count} hours. Please keep the case open until tomorrow.",
			"Could you share the root cause analysis for the outage so that we can report it internally?",
			"The issue happened again at {time}. Instance {instance} became unreachable for a few minutes.",
			"Understood. We will schedule the change for our next maintenance window.",
		},
		customerClosers: []string{"Best regards,", "Thanks,", "Kind regards,"},
		awsGreeting:     "Hello,\n\nThank you for contacting AWS Premium Support.",
		awsReplies: []string{
			"I have reviewed the health of {service} in {region} for the time window you mentioned. I found that the underlying host of {instance} experienced a hardware failure at {time}, which explains the outage. The instance has since been migrated to healthy hardware.",
			"Looking at the metrics on our side, the failover of {db} was delayed because of a long-running transaction that had to be rolled back. Keeping transactions short and enabling RDS Proxy will reduce failover time considerably.",
			"To investigate further, could you please share the output of the commands below and the application logs from around {time}? You can attach them to this case.",
			"The elevated error rate on {lb} was caused by a scaling event of the load balancer nodes. The service team has confirmed the issue is mitigated. We apologize for the inconvenience.",
			"Your request has been forwarded to the service team. I will update this case as soon as I hear back, at the latest within 24 hours.",
			"As we have not heard back from you, we will assume the issue is resolved. If you need further help, simply reply to this case to reopen it.",
		},
		awsSignature: "Best regards,\nAmazon Web Services\n\nWe value your feedback. Please share your experience by rating this correspondence.",
		fileNames:    []string{"incident-timeline.txt", "nginx-error.log"},
	},
	"ja": {
		problems: []supportProblem{
			{"{region} の {service} で障害が発生しています", "本番環境の {service}（{region}）にて {time} 頃から障害が発生しています。インスタンス {instance} がシステムステータスチェックに失敗し、毎秒 {count} 件のリクエストがタイムアウトしています。お客様影響のある障害のため、至急調査をお願いいたします。"},
			{"{db} のフェイルオーバーに時間がかかった件について", "メンテナンスウィンドウ中に {db} の Multi-AZ フェイルオーバーが約 {count} 分かかり、その間アプリケーションで接続障害が発生しました。原因と、フェイルオーバー時間を短縮する方法をご教示ください。"},
			{"ロードバランサー {lb} で 5xx エラーが増加", "{time} 頃からロードバランサー {lb} がリクエストの約 {percent}% に対して 502／503 エラーを返しています。ターゲットは正常です。AWS 側で障害が発生していないか確認をお願いします。"},
			{"EC2 インスタンス {instance} のハードウェア故障について", "インスタンス {instance} についてハードウェア劣化のイベント通知を受け取りました。基盤ホストの故障が既に発生しているか、また対応方法についてご教示ください。"},
			{"{service} のクォータとベストプラクティスについての質問", "サービス開始に向けて、{service} のトラフィックが現在の約 {count} 倍になる見込みです。事前に引き上げるべきクォータと、負荷試験のベストプラクティスを教えてください。"},
			{"S3 バケット {bucket} への書き込みが断続的に失敗する", "{time} 以降、{bucket} へのアップロードが 503 SlowDown で断続的に失敗します。障害の可能性がありますので調査をお願いいたします。"},
		},
		customerReplies: []string{
			"ご連絡ありがとうございます。{time} にご提案の設定変更を適用しましたが、引き続き約 {percent}% のリクエストでエラーが発生しています。",
			"ご依頼のあった障害発生時間帯のログを添付いたします。ご確認をお願いいたします。",
			"直近 {count} 時間は安定して稼働しております。念のため明日まではケースをオープンのままにしてください。",
			"社内報告のため、今回の障害の根本原因についてご共有いただけますでしょうか。",
			"{time} に再度同様の障害が発生し、インスタンス {instance} に数分間接続できなくなりました。",
		},
		customerClosers: []string{"よろしくお願いいたします。", "以上、よろしくお願いいたします。"},
		awsGreeting:     "お問い合わせいただきありがとうございます。AWS サポートです。",
		awsReplies: []string{
			"ご指定の時間帯について {region} の {service} の状況を確認いたしました。{time} にインスタンス {instance} の基盤ホストでハードウェア障害が発生しており、これが今回の障害の原因と考えられます。現在は正常なホストへ移行済みです。",
			"弊社側のメトリクスを確認したところ、{db} のフェイルオーバーはロールバックが必要な長時間トランザクションの影響で遅延しておりました。トランザクションを短く保ち、RDS Proxy をご利用いただくことでフェイルオーバー時間を短縮できます。",
			"詳細な調査のため、{time} 前後のアプリケーションログと以下のコマンドの出力結果をケースに添付いただけますでしょうか。",
			"本件はサービスチームへエスカレーションいたしました。回答があり次第、遅くとも 24 時間以内にご連絡いたします。",
			"その後ご返信がございませんので、本件は解決したものと判断させていただきます。引き続きご支援が必要な場合は、本ケースにご返信ください。",
		},
		awsSignature: "引き続きよろしくお願いいたします。\nAmazon Web Services",
		fileNames:    []string{"障害報告書.txt", "スクリーンショット.png"},
	},
	"zh": {
		problems: []supportProblem{
			{"{region} 的 {service} 出现故障，服务中断", "自 {time} 起，我们位于 {region} 的生产环境 {service} 出现故障。实例 {instance} 的系统状态检查失败，每秒约有 {count} 个请求超时。该故障已影响最终用户，请尽快协助排查。"},
			{"数据库 {db} 故障转移耗时过长", "在维护窗口期间，{db} 的多可用区故障转移耗时约 {count} 分钟，期间应用程序持续出现连接错误。请说明原因以及如何缩短故障转移时间。"},
			{"负载均衡器 {lb} 返回大量 5xx 错误", "从 {time} 开始，负载均衡器 {lb} 对约 {percent}% 的请求返回 502/503 错误，而后端目标均健康。请确认 AWS 侧是否存在故障。"},
			{"实例 {instance} 硬件故障通知", "我们收到了实例 {instance} 的计划事件通知，提示底层硬件性能下降。请确认底层主机是否已经发生故障，以及我们有哪些处理方案。"},
			{"关于 {service} 配额和最佳实践的咨询", "我们计划上线新业务，预计 {service} 的流量将达到当前的 {count} 倍。请问需要提前提升哪些配额？压力测试有哪些最佳实践？"},
		},
		customerReplies: []string{
			"感谢您的回复。我们已在 {time} 应用了建议的配置更改，但仍有约 {percent}% 的请求出现错误。",
			"附件为故障期间的日志，请查收。",
			"过去 {count} 小时服务运行稳定，请保持工单开启至明天。",
			"为了内部汇报，能否提供本次故障的根本原因分析？",
		},
		customerClosers: []string{"谢谢！", "此致敬礼"},
		awsGreeting:     "您好，感谢您联系 AWS 支持。",
		awsReplies: []string{
			"我已检查了 {region} 区域 {service} 在您提到时间段内的运行状况。实例 {instance} 所在的底层主机于 {time} 发生硬件故障，这是导致服务中断的原因。目前实例已迁移到健康的硬件上。",
			"根据我们这边的指标，{db} 的故障转移因一个需要回滚的长事务而延迟。建议缩短事务时间并启用 RDS Proxy，以显著缩短故障转移时间。",
			"为了进一步排查，请将 {time} 前后的应用日志以及以下命令的输出附加到此工单。",
			"您的问题已转交服务团队，我会在收到回复后第一时间更新工单，最迟不超过 24 小时。",
			"由于未收到您的回复，我们将视为问题已解决。如需进一步帮助，请直接回复此工单以重新打开。",
		},
		awsSignature: "祝好，\nAmazon Web Services",
		fileNames:    []string{"错误日志.txt", "故障截图.png"},
	},
	"ko": {
		problems: []supportProblem{
			{"{region} 리전 {service} 장애 발생", "{time}부터 {region} 리전의 운영 환경 {service}에서 장애가 발생하고 있습니다. 인스턴스 {instance}가 시스템 상태 검사에 실패하고 초당 {count}건의 요청이 타임아웃되고 있습니다. 고객 영향이 있는 장애이므로 긴급히 확인 부탁드립니다."},
			{"{db} 장애 조치(failover) 시간이 길었던 건", "유지 관리 기간 중 {db}의 다중 AZ 장애 조치에 약 {count}분이 소요되었고, 그동안 애플리케이션에서 연결 오류가 발생했습니다. 원인과 장애 조치 시간을 줄이는 방법을 알려 주십시오."},
			{"로드 밸런서 {lb}에서 5xx 오류 증가", "{time}부터 로드 밸런서 {lb}가 요청의 약 {percent}%에 대해 502/503 오류를 반환하고 있습니다. 대상은 정상입니다. AWS 측 장애 여부를 확인 부탁드립니다."},
			{"{service} 할당량 및 모범 사례 문의", "서비스 출시를 앞두고 {service} 트래픽이 현재의 약 {count}배가 될 것으로 예상됩니다. 미리 늘려야 할 할당량과 부하 테스트 모범 사례를 알려 주십시오."},
		},
		customerReplies: []string{
			"답변 감사합니다. {time}에 권장 설정을 적용했지만 여전히 약 {percent}%의 요청에서 오류가 발생합니다.",
			"요청하신 장애 시간대의 로그를 첨부합니다.",
			"최근 {count}시간 동안 안정적으로 동작하고 있습니다. 내일까지 케이스를 열어 두시기 바랍니다.",
			"내부 보고를 위해 이번 장애의 근본 원인 분석을 공유해 주실 수 있을까요?",
		},
		customerClosers: []string{"감사합니다.", "잘 부탁드립니다."},
		awsGreeting:     "안녕하세요, AWS Support에 문의해 주셔서 감사합니다.",
		awsReplies: []string{
			"말씀하신 시간대의 {region} 리전 {service} 상태를 확인했습니다. {time}에 인스턴스 {instance}의 기반 호스트에서 하드웨어 장애가 발생했으며, 이것이 이번 장애의 원인입니다. 현재 인스턴스는 정상 하드웨어로 이전되었습니다.",
			"저희 측 지표를 확인한 결과, {db}의 장애 조치는 롤백이 필요한 장기 실행 트랜잭션 때문에 지연되었습니다. 트랜잭션을 짧게 유지하고 RDS Proxy를 사용하시면 장애 조치 시간을 크게 줄일 수 있습니다.",
			"추가 조사를 위해 {time} 전후의 애플리케이션 로그와 아래 명령의 출력 결과를 케이스에 첨부해 주시겠습니까?",
			"서비스 팀에 문의를 전달했습니다. 답변을 받는 대로, 늦어도 24시간 이내에 업데이트하겠습니다.",
			"회신이 없어 문제가 해결된 것으로 간주하겠습니다. 추가 도움이 필요하시면 이 케이스에 회신하여 다시 여십시오.",
		},
		awsSignature: "감사합니다.\nAmazon Web Services",
		fileNames:    []string{"장애보고서.txt", "오류로그.txt"},
	},
}
