package fake

import (
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSMSSendTextMessage feeds arbitrary request bodies to the SMS fake's
// SendTextMessage: it must never panic, and whatever it accepts must be a
// message the real service would accept.
func FuzzSMSSendTextMessage(f *testing.F) {
	for _, seed := range []string{
		`{"DestinationPhoneNumber":"+819012345678","MessageBody":"障害: web-01","MessageType":"TRANSACTIONAL"}`,
		`{"DestinationPhoneNumber":"+14255550156","MessageBody":"ALERT","OriginationIdentity":"OPSDESK","ConfigurationSetName":"opsdesk-alerts","Context":{"a":"1"},"TimeToLive":300}`,
		`{"DestinationPhoneNumber":"819012345678","MessageBody":"x"}`,
		`{"DestinationPhoneNumber":"+8190","MessageBody":"` + strings.Repeat("{", 200) + `","MaxPrice":"0.5"}`,
		`{"DestinationPhoneNumber":"+1","DryRun":true}`,
		`{"Unknown":1}`,
		`[`,
	} {
		f.Add([]byte(seed))
	}
	s := NewSMS(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, _, e := s.sendTextMessage(body)
		if e != nil {
			if e.errorType == "" || e.message == "" {
				t.Fatalf("error without type or message: %+v", e)
			}
			return
		}
		id, _ := out.(map[string]string)["MessageId"]
		if id == "" {
			return // a DryRun
		}
		msgs := s.Messages()
		m := msgs[len(msgs)-1]
		if m.MessageID != id || !e164Pattern.MatchString(m.DestinationPhoneNumber) || m.MessageBody == "" ||
			utf8.RuneCountInString(m.MessageBody) > smsMaxBody || m.Parts < 1 || (m.Encoding != "GSM" && m.Encoding != "UCS2") {
			t.Fatalf("accepted an invalid message: %+v", m)
		}
	})
}

// FuzzSESSendEmail feeds arbitrary request bodies to the SES fake's
// SendEmail: no panic, and an accepted email has a verified sender and
// 1–50 plain ASCII recipient addresses.
func FuzzSESSendEmail(f *testing.F) {
	for _, seed := range []string{
		`{"FromEmailAddress":"alerts@opsdesk.example","Destination":{"ToAddresses":["a@example.jp"]},"Content":{"Simple":{"Subject":{"Data":"障害"},"Body":{"Text":{"Data":"本文"}}}}}`,
		`{"FromEmailAddress":"=?UTF-8?B?6YGL55So?= <alerts@opsdesk.example>","Destination":{"ToAddresses":["운영 <a@example.kr>"]},"Content":{"Simple":{"Subject":{"Data":"x"},"Body":{"Html":{"Data":"<p>x</p>"}}}}}`,
		`{"Content":{"Raw":{"Data":"RnJvbTogYWxlcnRzQG9wc2Rlc2suZXhhbXBsZQ0KVG86IGJAZXhhbXBsZS5jb20NClN1YmplY3Q6IHgNCg0KeA0K"}}}`,
		`{"FromEmailAddress":"運用 <alerts@opsdesk.example>","Destination":{"ToAddresses":["a@例え.jp"]},"Content":{"Simple":{}}}`,
		`{"Content":{"Template":{"TemplateName":"t"}}}`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	s := NewSES(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, _, e := s.sendEmail(body)
		if e != nil {
			if e.errorType == "" || e.message == "" {
				t.Fatalf("error without type or message: %+v", e)
			}
			return
		}
		msgs := s.Messages()
		m := msgs[len(msgs)-1]
		if m.MessageID != out.MessageID {
			t.Fatalf("recorded %s, answered %s", m.MessageID, out.MessageID)
		}
		s.mu.Lock()
		verified := s.verifiedLocked(m.FromAddress)
		s.mu.Unlock()
		rcpt := m.Recipients()
		if !verified || len(rcpt) == 0 || len(rcpt) > sesMaxRecipients {
			t.Fatalf("accepted an invalid email: %+v", m)
		}
		for _, a := range append(rcpt, m.FromAddress) {
			if _, err := mail.ParseAddress(a); err != nil || !strings.Contains(a, "@") {
				t.Fatalf("accepted address %q: %v", a, err)
			}
			for _, r := range a {
				if r >= utf8.RuneSelf {
					t.Fatalf("accepted non-ASCII address %q", a)
				}
			}
		}
	})
}
