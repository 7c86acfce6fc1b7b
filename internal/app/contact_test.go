package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// contactCall makes an API request with tok and decodes the JSON answer.
func contactCall(t *testing.T, s *apptest.Server, tok, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

var apiCodeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// TestContactAPI: an admin token adds a user's SMS and Slack methods,
// verifies them with the codes that arrive at the fake End User Messaging
// SMS and the fake Slack, sends a test, sets the notification rules, and
// the engine's Plan follows them; errors name the field; other scopes are
// refused.
func TestContactAPI(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			sms := fake.NewSMS(t)
			slack := fake.NewSlack(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
destinations:
  - name: ops-slack
    type: slack
    url: ` + slack.URL() + `
oncall:
  sms:
    region: ` + sms.Region() + `
    origination_identity: "` + fake.SMSDefaultOriginationPhone + `"
    configuration_set: ` + fake.SMSDefaultConfigurationSet + `
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": sms.URL(),
				"AWS_ACCESS_KEY_ID":                      fake.SMSAccessKeyID,
				"AWS_SECRET_ACCESS_KEY":                  fake.SMSSecretAccessKey,
			})
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "sato", auth.RoleResponder, "a long enough password"); err != nil {
				t.Fatal(err)
			}
			admin, err := s.App.Auth.CreateToken(ctx, "ops", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			reader, err := s.App.Auth.CreateToken(ctx, "reader", auth.ScopeReadAlerts)
			if err != nil {
				t.Fatal(err)
			}
			const base = "/api/v1/users/sato/contact-methods"

			if st, _ := contactCall(t, s, reader, "GET", base, ""); st != http.StatusForbidden {
				t.Errorf("read:alerts token: %d", st)
			}
			st, out := contactCall(t, s, admin, "GET", base, "")
			if st != http.StatusOK || fmt.Sprint(out["contact_methods"]) != "[]" {
				t.Fatalf("empty list: %d %v", st, out)
			}
			for body, field := range map[string]string{
				`{"kind":"sms","address":"090"}`:                       "address",
				`{"kind":"fax","address":"1"}`:                         "kind",
				`{"kind":"chat","address":"U0123ABC"}`:                 "destination",
				`{"kind":"sms","address":"+819012345678","adress":""}`: "adress",
				`{"kind":"sms","address":1}`:                           "address",
			} {
				if st, out := contactCall(t, s, admin, "POST", base, body); st != http.StatusBadRequest || out["field"] != field {
					t.Errorf("%s: %d %v, want field %s", body, st, out, field)
				}
			}
			if st, out := contactCall(t, s, admin, "POST", "/api/v1/users/nobody/contact-methods", `{"kind":"sms","address":"+819012345678"}`); st != http.StatusNotFound {
				t.Errorf("unknown user: %d %v", st, out)
			}

			st, m := contactCall(t, s, admin, "POST", base, `{"kind":"sms","label":"mobile","address":"+81 90 1234 5678"}`)
			if st != http.StatusCreated || m["address"] != "+819012345678" || m["verified"] != false || m["label"] != "mobile" {
				t.Fatalf("add sms: %d %v", st, m)
			}
			smsID := int64(m["id"].(float64))
			st, c := contactCall(t, s, admin, "POST", base, `{"kind":"chat","address":"U0123ABCD","destination":"ops-slack"}`)
			if st != http.StatusCreated {
				t.Fatalf("add chat: %d %v", st, c)
			}
			chatID := int64(c["id"].(float64))
			// Not verified: no test, no rule.
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/test", base, smsID), ""); st != http.StatusBadRequest || out["field"] != "method" {
				t.Errorf("test unverified: %d %v", st, out)
			}

			// SMS: the code arrives at the fake, in a TRANSACTIONAL message.
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/send-code", base, smsID), ""); st != http.StatusAccepted || out["code_expires_at"] == nil {
				t.Fatalf("send code: %d %v", st, out)
			}
			if st, _ := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/send-code", base, smsID), ""); st != http.StatusTooManyRequests {
				t.Errorf("second code: %d", st)
			}
			msgs := sms.MessagesTo("+819012345678")
			if len(msgs) != 1 || msgs[0].OriginationIdentity != fake.SMSDefaultOriginationPhone || msgs[0].ConfigurationSetName != fake.SMSDefaultConfigurationSet {
				t.Fatalf("sms %+v", msgs)
			}
			code := apiCodeRE.FindString(msgs[0].MessageBody)
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/confirm", base, smsID), `{"code":"12345"}`); st != http.StatusBadRequest || out["field"] != "code" {
				t.Errorf("wrong code: %d %v", st, out)
			}
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/confirm", base, smsID), `{"code":"`+code+`"}`); st != http.StatusOK || out["verified"] != true {
				t.Fatalf("confirm: %d %v", st, out)
			}
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/test", base, smsID), ""); st != http.StatusAccepted || out["ref"] == "" {
				t.Errorf("test: %d %v", st, out)
			}
			if n := len(sms.MessagesTo("+819012345678")); n != 2 {
				t.Errorf("%d text messages, want 2", n)
			}

			// Chat: the code arrives as a mention of exactly the member.
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/send-code", base, chatID), ""); st != http.StatusAccepted {
				t.Fatalf("chat code: %d %v", st, out)
			}
			posts := slack.Messages()
			if len(posts) != 1 || !strings.HasPrefix(posts[0].Text, "<@U0123ABCD> ") {
				t.Fatalf("slack %+v", posts)
			}
			chatCode := apiCodeRE.FindString(strings.Join(posts[0].SectionTexts(), " "))
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/confirm", base, chatID), `{"code":"`+chatCode+`"}`); st != http.StatusOK {
				t.Fatalf("chat confirm: %d %v", st, out)
			}

			// Rules: chat at once, SMS after 1 minute for critical.
			const rules = "/api/v1/users/sato/notification-rules"
			for body, field := range map[string]string{
				`{"rules":[{"method_id":1,"after":"soon"}]}`:                                       "rules[0].after",
				fmt.Sprintf(`{"rules":[{"method_id":%d,"after":"25h"}]}`, smsID):                   "rules[0].after",
				fmt.Sprintf(`{"rules":[{"method_id":%d,"after":"0s","severities":["x"]}]}`, smsID): "rules[0].severities",
				`{"rules":[{"method_id":999,"after":"0s"}]}`:                                       "rules[0].method_id",
				`{}`: "rules",
			} {
				if st, out := contactCall(t, s, admin, "PUT", rules, body); st != http.StatusBadRequest || out["field"] != field {
					t.Errorf("%s: %d %v, want %s", body, st, out, field)
				}
			}
			st, out = contactCall(t, s, admin, "PUT", rules, fmt.Sprintf(`{"rules":[{"method_id":%d,"after":"1m","severities":["critical"]},{"method_id":%d,"after":"0s"}]}`, smsID, chatID))
			if st != http.StatusOK {
				t.Fatalf("put rules: %d %v", st, out)
			}
			want := fmt.Sprintf("[map[after:0s method_id:%d severities:[]] map[after:1m method_id:%d severities:[critical]]]", chatID, smsID)
			if got := fmt.Sprint(out["rules"]); got != want {
				t.Errorf("rules %s, want %s", got, want)
			}
			if _, out := contactCall(t, s, admin, "GET", rules, ""); fmt.Sprint(out["rules"]) != want {
				t.Errorf("GET rules %v", out)
			}
			plan, err := s.App.Contacts.Plan(ctx, "sato", "critical")
			if err != nil || len(plan) != 2 || plan[0].Method.Kind != "chat" || plan[1].Method.Kind != "sms" || plan[1].Delay.Minutes() != 1 {
				t.Fatalf("plan %+v %v", plan, err)
			}
			if s.App.Contacts.Sender("sms") == nil || s.App.Contacts.Sender("email") != nil {
				t.Error("senders: sms configured, email not")
			}

			// Delete.
			if st, _ := contactCall(t, s, admin, "DELETE", fmt.Sprintf("%s/%d", base, chatID), ""); st != http.StatusNoContent {
				t.Errorf("delete: %d", st)
			}
			if st, _ := contactCall(t, s, admin, "DELETE", fmt.Sprintf("%s/%d", base, chatID), ""); st != http.StatusNotFound {
				t.Errorf("delete again: %d", st)
			}
			if _, out := contactCall(t, s, admin, "GET", rules, ""); strings.Count(fmt.Sprint(out["rules"]), "method_id") != 1 {
				t.Errorf("rules after delete %v", out)
			}
			// Every change is in the audit log as the token's; no code is.
			es, err := s.App.Audit.List(ctx, audit.Filter{Action: "contact", Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := len(es) - 1; i >= 0; i-- {
				e := es[i]
				got = append(got, e.Actor+" "+e.Kind+" "+e.Action+" "+e.Target)
				if strings.Contains(e.Detail, code) || strings.Contains(e.Detail, "+819012345678") {
					t.Errorf("audit detail %q", e.Detail)
				}
			}
			if want := "[ops token contact.add sato ops token contact.add sato ops token contact.verify sato ops token contact.verify sato ops token contact.rules sato ops token contact.delete sato]"; fmt.Sprint(got) != want {
				t.Errorf("audit %v\nwant %s", got, want)
			}
		})
	}
}

// TestContactAPIVoice: with alerts.connect, a voice method is verified by
// a call through the alerts' Connect client whose summary reads the code
// digit by digit.
func TestContactAPIVoice(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cn := fake.NewConnect(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
alerts:
` + connectYAML(cn) + `  systems:
    - name: XYZ
      routes:
        - {policy: platform}
oncall:
  policies:
    - name: platform
      rounds: 1
      steps:
        - targets: ["user:kim"]
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, connectEnv(cn))
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "kim", auth.RoleResponder, "a long enough password"); err != nil {
				t.Fatal(err)
			}
			admin, err := s.App.Auth.CreateToken(ctx, "ops", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			const base = "/api/v1/users/kim/contact-methods"
			st, m := contactCall(t, s, admin, "POST", base, `{"kind":"voice","address":"+821012345678","language":"ko"}`)
			if st != http.StatusCreated {
				t.Fatalf("add: %d %v", st, m)
			}
			id := int64(m["id"].(float64))
			// SMS is not configured: such a method cannot be verified.
			st, sm := contactCall(t, s, admin, "POST", base, `{"kind":"sms","address":"+821012345678"}`)
			if st != http.StatusCreated {
				t.Fatalf("add sms: %d %v", st, sm)
			}
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/send-code", base, int64(sm["id"].(float64))), ""); st != http.StatusConflict || out["field"] != "kind" {
				t.Errorf("sms code without oncall.sms: %d %v", st, out)
			}
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/send-code", base, id), ""); st != http.StatusAccepted {
				t.Fatalf("send code: %d %v", st, out)
			}
			calls := cn.Calls()
			if len(calls) != 1 || calls[0].Number != "+821012345678" || calls[0].Attributes["language"] != "ko-KR" {
				t.Fatalf("calls %+v", calls)
			}
			spoken := regexp.MustCompile(`[0-9](, [0-9]){5}`).FindString(calls[0].Attributes["summary"])
			code := strings.ReplaceAll(spoken, ", ", "")
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/confirm", base, id), `{"code":"`+code+`"}`); st != http.StatusOK || out["verified"] != true {
				t.Fatalf("confirm %q: %d %v", code, st, out)
			}
			// An alert's policy pages kim: a call in the method's language.
			if st, out := contactCall(t, s, admin, "POST", "/api/v1/alerts", `{"system":"XYZ","summary":"Disk full on web-1"}`); st != http.StatusAccepted {
				t.Fatalf("alert: %d %v", st, out)
			}
			page := cn.WaitForCalls(t, 2, 20*time.Second)[1]
			if page.Number != "+821012345678" || page.Attributes["language"] != "ko-KR" || !strings.Contains(page.Attributes["summary"], "Disk full") {
				t.Fatalf("page call %+v", page)
			}
		})
	}
}

// TestContactPaging: an escalation policy's user target is paged through
// the user's contact methods: the alert's SMS arrives at the fake End User
// Messaging SMS (App.Contacts as the engine's Directory and Pager).
func TestContactPaging(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			sms := fake.NewSMS(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
alerts:
  systems:
    - name: XYZ
      routes:
        - {policy: platform}
oncall:
  sms:
    region: ` + sms.Region() + `
  policies:
    - name: platform
      rounds: 1
      steps:
        - targets: ["user:sato", "user:nobody"]
          after: 5m
`))
			if err != nil {
				t.Fatal(err)
			}
			s := apptest.Start(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": sms.URL(),
				"AWS_ACCESS_KEY_ID":                      fake.SMSAccessKeyID,
				"AWS_SECRET_ACCESS_KEY":                  fake.SMSSecretAccessKey,
			})
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "sato", auth.RoleResponder, "a long enough password"); err != nil {
				t.Fatal(err)
			}
			admin, err := s.App.Auth.CreateToken(ctx, "ops", auth.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			const base = "/api/v1/users/sato/contact-methods"
			_, m := contactCall(t, s, admin, "POST", base, `{"kind":"sms","address":"+819012345678"}`)
			id := int64(m["id"].(float64))
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/send-code", base, id), ""); st != http.StatusAccepted {
				t.Fatalf("send code: %d %v", st, out)
			}
			code := apiCodeRE.FindString(sms.Messages()[0].MessageBody)
			if st, out := contactCall(t, s, admin, "POST", fmt.Sprintf("%s/%d/confirm", base, id), `{"code":"`+code+`"}`); st != http.StatusOK {
				t.Fatalf("confirm: %d %v", st, out)
			}
			if st, out := contactCall(t, s, admin, "POST", "/api/v1/alerts", `{"system":"XYZ","summary":"Disk full on web-1","severity":"critical"}`); st != http.StatusAccepted {
				t.Fatalf("alert: %d %v", st, out)
			}
			msgs := sms.WaitForMessages(t, 2, 20*time.Second)
			page := msgs[1]
			if page.DestinationPhoneNumber != "+819012345678" || !strings.Contains(page.MessageBody, "Disk full on web-1") || page.Context["opsdesk_key"] == "" {
				t.Fatalf("page %+v", page)
			}
		})
	}
}
