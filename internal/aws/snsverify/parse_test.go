package snsverify

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "notification.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{
		Type:             TypeNotification,
		MessageID:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:          "My First Message",
		Message:          "Hello world!",
		Timestamp:        "2012-05-02T00:54:06.655Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLEw6JRN...",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		UnsubscribeURL:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
	}
	if *m != want {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", *m, want)
	}

	body, err = os.ReadFile(filepath.Join("testdata", "subscription-confirmation.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err = Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeSubscriptionConfirmation || m.Token == "" || m.SubscribeURL == "" || m.Subject != "" {
		t.Fatalf("confirmation parsed as %+v", m)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"empty":            "",
		"blank":            " \n",
		"not JSON":         "Type=Notification",
		"array":            `[{"Type":"Notification"}]`,
		"string":           `"Notification"`,
		"duplicate field":  `{"Type":"Notification","Message":"a","Message":"b"}`,
		"case variant":     `{"Type":"Notification","Message":"a","message":"b"}`,
		"case variant 2":   `{"type":"Notification"}`,
		"kelvin fold":      `{"Type":"Notification","To\u212aen":"y"}`,
		"not a string":     `{"Type":"Notification","Message":{"a":1}}`,
		"number":           `{"Type":"Notification","Timestamp":1335919246}`,
		"trailing data":    `{"Type":"Notification"} {}`,
		"trailing garbage": `{"Type":"Notification"}x`,
		"unterminated":     `{"Type":"Notification"`,
		"invalid UTF-8":    "{\"Type\":\"Notification\",\"Message\":\"\xff\"}",
	}
	for name, body := range tests {
		if m, err := Parse([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Parse = %+v, %v; want ErrMalformed", name, m, err)
		}
	}
	// null is absent; unknown fields are ignored.
	m, err := Parse([]byte(`{"Type":"Notification","Subject":null,"MessageAttributes":{"a":{"Type":"String","Value":"b"}},"Extra":[1,2]}`))
	if err != nil || m.Type != TypeNotification || m.Subject != "" {
		t.Fatalf("Parse = %+v, %v", m, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"notification.json", "subscription-confirmation.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Type":"Notification","Message":"a","message":"b"}`))
	f.Add([]byte(`{"Type":"UnsubscribeConfirmation","Subject":null,"Token":"t"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if m != nil {
				t.Fatal("message returned with an error")
			}
			return
		}
		// What Parse accepts, it accepts again after a round trip, with the
		// same fields, and the string to sign can always be built or refused.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(b)
		if err != nil {
			t.Fatalf("re-Parse of %s: %v", b, err)
		}
		if *again != *m {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, again)
		}
		if _, err := StringToSign(m); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("StringToSign: %v", err)
		}
	})
}
