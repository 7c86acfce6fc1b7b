package snsverify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// start is the fixed "now" of every test clock.
var start = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// keys are generated once per test binary: RSA generation is slow.
var keys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var k [2]*rsa.PrivateKey
	for i := range k {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		k[i] = key
	}
	return k
})

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// certPEM makes a self-signed certificate for pub, valid notBefore..notAfter.
func certPEM(t *testing.T, pub, priv any, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// fixture is a fake SNS: an HTTPS server with signing certificates and a
// ConfirmSubscription endpoint, a controllable clock, and a Verifier that
// trusts only this server's host.
type fixture struct {
	key      *rsa.PrivateKey
	srv      *httptest.Server
	clock    *clock
	v        *Verifier
	certHits atomic.Int32 // fetches of any certificate
	confirms atomic.Int32
	token    atomic.Value // last Token seen by /confirm
	confirm  int          // status /confirm answers
}

const goodCert = "/SimpleNotificationService-0123456789abcdef.pem"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{key: keys()[0], clock: &clock{t: start}, confirm: http.StatusOK}
	good := certPEM(t, &fx.key.PublicKey, fx.key, start.Add(-24*time.Hour), start.Add(365*24*time.Hour))
	short := certPEM(t, &fx.key.PublicKey, fx.key, start.Add(-24*time.Hour), start.Add(time.Hour))
	expired := certPEM(t, &fx.key.PublicKey, fx.key, start.Add(-48*time.Hour), start.Add(-24*time.Hour))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert := certPEM(t, &ec.PublicKey, ec, start.Add(-time.Hour), start.Add(24*time.Hour))
	// A PEM file with a key block before the certificate still works.
	withKey := append(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("x")}), good...)

	mux := http.NewServeMux()
	serve := func(path string, body []byte) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			fx.certHits.Add(1)
			_, _ = w.Write(body)
		})
	}
	serve(goodCert, good)
	serve("/short.pem", short)
	serve("/expired.pem", expired)
	serve("/ecdsa.pem", ecCert)
	serve("/garbage.pem", []byte("not a certificate"))
	serve("/with-key.pem", withKey)
	mux.HandleFunc("GET /redirect.pem", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, goodCert, http.StatusFound)
	})
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, r *http.Request) {
		fx.confirms.Add(1)
		if r.URL.Query().Get("Action") != "ConfirmSubscription" {
			http.Error(w, "bad action", http.StatusBadRequest)
			return
		}
		fx.token.Store(r.URL.Query().Get("Token"))
		w.WriteHeader(fx.confirm)
		fmt.Fprintf(w, `<ConfirmSubscriptionResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <ConfirmSubscriptionResult>
    <SubscriptionArn>%s:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55</SubscriptionArn>
  </ConfirmSubscriptionResult>
  <ResponseMetadata><RequestId>075ecce8-8dac-11e1-bf80-f781d96e9307</RequestId></ResponseMetadata>
</ConfirmSubscriptionResponse>`, r.URL.Query().Get("TopicArn"))
	})
	fx.srv = httptest.NewTLSServer(mux)
	t.Cleanup(fx.srv.Close)
	host := strings.TrimPrefix(fx.srv.URL, "https://")
	fx.v = &Verifier{
		Client:         fx.srv.Client(),
		Now:            fx.clock.Now,
		CertURLAllowed: func(u *url.URL) bool { return u.Host == host },
	}
	return fx
}

const topic = "arn:aws:sns:ap-northeast-1:123456789012:opsdesk-alerts"

// notification returns a signed Notification sent at the fixture's now.
func (fx *fixture) notification(t *testing.T, version, subject string) *Message {
	t.Helper()
	m := &Message{
		Type:             TypeNotification,
		MessageID:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         topic,
		Subject:          subject,
		Message:          "{\"AlarmName\":\"api-5xx\",\"NewStateValue\":\"ALARM\"}\nsecond line",
		Timestamp:        fx.clock.Now().Add(-3 * time.Second).Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: version,
		SigningCertURL:   fx.srv.URL + goodCert,
		UnsubscribeURL:   fx.srv.URL + "/?Action=Unsubscribe&SubscriptionArn=" + topic + ":c9135db0",
	}
	fx.sign(t, m)
	return m
}

func (fx *fixture) confirmation(t *testing.T, typ, version string) *Message {
	t.Helper()
	token := "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736"
	m := &Message{
		Type:             typ,
		MessageID:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:            token,
		TopicArn:         topic,
		Message:          "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     fx.srv.URL + "/confirm?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topic) + "&Token=" + token,
		Timestamp:        fx.clock.Now().Add(-time.Second).Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: version,
		SigningCertURL:   fx.srv.URL + goodCert,
	}
	fx.sign(t, m)
	return m
}

func (fx *fixture) sign(t *testing.T, m *Message) {
	t.Helper()
	if err := Sign(m, fx.key); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	type build func(t *testing.T, fx *fixture) *Message
	note := func(version, subject string) build {
		return func(t *testing.T, fx *fixture) *Message { return fx.notification(t, version, subject) }
	}
	// resign changes a signed notification and signs it again, so only the
	// change is under test, not the signature.
	resign := func(version string, change func(*Message)) build {
		return func(t *testing.T, fx *fixture) *Message {
			m := fx.notification(t, version, "")
			change(m)
			fx.sign(t, m)
			return m
		}
	}
	tamper := func(version string, change func(*Message)) build {
		return func(t *testing.T, fx *fixture) *Message {
			m := fx.notification(t, version, "")
			change(m)
			return m
		}
	}
	tests := []struct {
		name    string
		msg     build
		topicOK func(string) bool
		want    error
	}{
		{"v1 notification", note("1", ""), nil, nil},
		{"v2 notification", note("2", ""), nil, nil},
		{"v2 notification with subject", note("2", "ALARM: \"api-5xx\" in Asia Pacific (Tokyo)"), nil, nil},
		{"v1 subscription confirmation", func(t *testing.T, fx *fixture) *Message {
			return fx.confirmation(t, TypeSubscriptionConfirmation, "1")
		}, nil, nil},
		{"v2 unsubscribe confirmation", func(t *testing.T, fx *fixture) *Message {
			return fx.confirmation(t, TypeUnsubscribeConfirmation, "2")
		}, nil, nil},
		{"certificate file with other blocks first", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, goodCert, "/with-key.pem", 1)
		}), nil, nil},
		{"timestamp 59 minutes old", resign("2", func(m *Message) {
			m.Timestamp = start.Add(-59 * time.Minute).Format(time.RFC3339)
		}), nil, nil},
		{"topic allowed", note("2", ""), func(arn string) bool { return arn == topic }, nil},

		{"tampered message", tamper("2", func(m *Message) { m.Message += " " }), nil, ErrSignature},
		{"tampered message v1", tamper("1", func(m *Message) { m.Message = "{}" }), nil, ErrSignature},
		{"subject added", tamper("2", func(m *Message) { m.Subject = "hi" }), nil, ErrSignature},
		{"tampered topic", tamper("2", func(m *Message) { m.TopicArn += "x" }), nil, ErrSignature},
		{"tampered timestamp", tamper("2", func(m *Message) {
			m.Timestamp = start.Add(-time.Minute).Format("2006-01-02T15:04:05.000Z")
		}), nil, ErrSignature},
		{"tampered token", func(t *testing.T, fx *fixture) *Message {
			m := fx.confirmation(t, TypeSubscriptionConfirmation, "2")
			m.Token = strings.ToUpper(m.Token)
			return m
		}, nil, ErrSignature},
		{"version 2 signature claimed as 1", tamper("2", func(m *Message) { m.SignatureVersion = "1" }), nil, ErrSignature},
		{"version 1 signature claimed as 2", tamper("1", func(m *Message) { m.SignatureVersion = "2" }), nil, ErrSignature},
		{"signed with another key", func(t *testing.T, fx *fixture) *Message {
			m := fx.notification(t, "2", "")
			if err := Sign(m, keys()[1]); err != nil {
				t.Fatal(err)
			}
			return m
		}, nil, ErrSignature},
		{"version 3", tamper("2", func(m *Message) { m.SignatureVersion = "3" }), nil, ErrSignatureVersion},
		{"no version", tamper("2", func(m *Message) { m.SignatureVersion = "" }), nil, ErrSignatureVersion},
		{"timestamp two hours old", resign("2", func(m *Message) {
			m.Timestamp = start.Add(-2 * time.Hour).Format(time.RFC3339Nano)
		}), nil, ErrTimestamp},
		{"timestamp two hours ahead", resign("2", func(m *Message) {
			m.Timestamp = start.Add(2 * time.Hour).Format(time.RFC3339Nano)
		}), nil, ErrTimestamp},
		{"timestamp not a time", resign("2", func(m *Message) { m.Timestamp = "yesterday" }), nil, ErrMalformed},
		{"topic refused", note("2", ""), func(string) bool { return false }, ErrTopic},
		{"signature not base64", tamper("2", func(m *Message) { m.Signature = "%%%" }), nil, ErrMalformed},
		{"unknown type", tamper("2", func(m *Message) { m.Type = "Bogus" }), nil, ErrMalformed},
		{"no message id", resign("2", func(m *Message) { m.MessageID = "" }), nil, ErrMalformed},
		{"confirmation without token", func(t *testing.T, fx *fixture) *Message {
			m := fx.confirmation(t, TypeSubscriptionConfirmation, "2")
			m.Token = ""
			fx.sign(t, m)
			return m
		}, nil, ErrMalformed},
		{"certificate over http", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, "https://", "http://", 1)
		}), nil, ErrURLNotAllowed},
		{"certificate on another host", resign("2", func(m *Message) {
			m.SigningCertURL = "https://evil.example.com/cert.pem"
		}), nil, ErrURLNotAllowed},
		{"certificate expired", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, goodCert, "/expired.pem", 1)
		}), nil, ErrCertificate},
		{"certificate not RSA", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, goodCert, "/ecdsa.pem", 1)
		}), nil, ErrCertificate},
		{"certificate not PEM", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, goodCert, "/garbage.pem", 1)
		}), nil, ErrCertificate},
		{"certificate missing", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, goodCert, "/nope.pem", 1)
		}), nil, ErrCertificate},
		{"certificate redirect not followed", resign("2", func(m *Message) {
			m.SigningCertURL = strings.Replace(m.SigningCertURL, goodCert, "/redirect.pem", 1)
		}), nil, ErrCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t)
			fx.v.TopicAllowed = tt.topicOK
			m := tt.msg(t, fx)
			err := fx.v.Verify(context.Background(), m)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyThroughJSON signs a message, sends it through its JSON form and
// Parse, and verifies the parsed copy.
func TestVerifyThroughJSON(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	m := fx.notification(t, "2", "déploiement terminé ✓")
	body := fmt.Sprintf(`{
  "Type" : "Notification",
  "MessageId" : %q,
  "TopicArn" : %q,
  "Subject" : %q,
  "Message" : %q,
  "Timestamp" : %q,
  "SignatureVersion" : "2",
  "Signature" : %q,
  "SigningCertURL" : %q,
  "UnsubscribeURL" : %q,
  "MessageAttributes" : {"severity": {"Type": "String", "Value": "high"}}
}`, m.MessageID, m.TopicArn, m.Subject, m.Message, m.Timestamp, m.Signature, m.SigningCertURL, m.UnsubscribeURL)
	parsed, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if *parsed != *m {
		t.Fatalf("Parse = %+v\nwant %+v", parsed, m)
	}
	if err := fx.v.Verify(context.Background(), parsed); err != nil {
		t.Fatal(err)
	}
}

// failTransport fails the test if any request is made.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no network in tests")
}

// snsTransport plays sns.<region>.amazonaws.com for the default host check:
// it answers every request with the certificate and records the hosts.
type snsTransport struct {
	cert  []byte
	mu    sync.Mutex
	hosts []string
}

func (s *snsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.hosts = append(s.hosts, r.URL.Host)
	s.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Body:       io.NopCloser(strings.NewReader(string(s.cert))),
		Header:     http.Header{"Content-Type": {"application/x-x509-ca-cert"}},
		Request:    r,
	}, nil
}

func TestDefaultHostCheck(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	good := certPEM(t, &fx.key.PublicKey, fx.key, start.Add(-time.Hour), start.Add(24*time.Hour))
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem", true},
		{"https://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", true},
		{"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-0123456789abcdef.pem", true},
		{"https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", true},
		{"https://SNS.EU-WEST-1.AMAZONAWS.COM/SimpleNotificationService-0123456789abcdef.pem", true},
		{"https://sns.eu-west-1.amazonaws.com:443/SimpleNotificationService-0123456789abcdef.pem", true},

		{"https://evil.example.com/cert.pem", false},
		{"http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.us-east-1.amazonaws.com.evil.com/cert.pem", false},
		{"https://sns.us-east-1.amazonaws.com.cn.evil.com/cert.pem", false},
		{"https://sns.us-east-1.amazonaws.com./cert.pem", false},
		{"https://sns.us-east-1.amazonaws.com:8443/cert.pem", false},
		{"https://user:pw@sns.us-east-1.amazonaws.com/cert.pem", false},
		{"https://sns.amazonaws.com/cert.pem", false},
		{"https://sns.evil.com.amazonaws.com/cert.pem", false},
		{"https://evilsns.us-east-1.amazonaws.com/cert.pem", false},
		{"https://s3.us-east-1.amazonaws.com/cert.pem", false},
		{"https://sns.-bad.amazonaws.com/cert.pem", false},
		{"https:///cert.pem", false},
		{"//sns.us-east-1.amazonaws.com/cert.pem", false},
		{"file:///etc/passwd", false},
		{"https://sns.us-east-1.amazonaws.com\x00/cert.pem", false},
		// Buckets and other hosts that look like sns.<region>.
		{"https://sns.s3.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.s3.dualstack.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.website.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.useast1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		// The China partition only under .amazonaws.com.cn, and only it.
		{"https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-0123456789abcdef.pem", false},
		// The right host, a path that is not a signing certificate.
		{"https://sns.us-east-1.amazonaws.com/cert.pem", false},
		{"https://sns.us-east-1.amazonaws.com/bucket/SimpleNotificationService-0123456789abcdef.pem", false},
		{"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xyz.pem", false},
		{"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", false},
		{"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem?x=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			m := fx.notification(t, "2", "")
			m.SigningCertURL = tt.url
			fx.sign(t, m)
			tr := &snsTransport{cert: good}
			v := &Verifier{Client: &http.Client{Transport: tr}, Now: fx.clock.Now}
			if !tt.ok {
				v.Client = &http.Client{Transport: failTransport{t}}
			}
			err := v.Verify(context.Background(), m)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if len(tr.hosts) != 1 {
					t.Fatalf("fetched from %v, want one fetch", tr.hosts)
				}
				return
			}
			if !errors.Is(err, ErrURLNotAllowed) {
				t.Fatalf("Verify error = %v, want ErrURLNotAllowed", err)
			}
		})
	}
}

func TestAllowedHostSuffixes(t *testing.T) {
	t.Parallel()
	v := &Verifier{AllowedHostSuffixes: []string{"c2s.ic.gov"}}
	if _, err := v.checkURL("SigningCertURL", "https://sns.us-iso-east-1.c2s.ic.gov/SimpleNotificationService-0123456789abcdef.pem"); err != nil {
		t.Errorf("configured suffix refused: %v", err)
	}
	if _, err := v.checkURL("SigningCertURL", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"); !errors.Is(err, ErrURLNotAllowed) {
		t.Errorf("default suffix still allowed after override: %v", err)
	}
}

func TestCertificateCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("fetched once", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		for i := range 3 {
			if err := fx.v.Verify(ctx, fx.notification(t, fmt.Sprint(1+i%2), "")); err != nil {
				t.Fatal(err)
			}
		}
		if got := fx.certHits.Load(); got != 1 {
			t.Fatalf("certificate fetched %d times, want 1", got)
		}
	})

	t.Run("refetched after a day", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		if err := fx.v.Verify(ctx, fx.notification(t, "2", "")); err != nil {
			t.Fatal(err)
		}
		fx.clock.Add(25 * time.Hour)
		if err := fx.v.Verify(ctx, fx.notification(t, "2", "")); err != nil {
			t.Fatal(err)
		}
		if got := fx.certHits.Load(); got != 2 {
			t.Fatalf("certificate fetched %d times, want 2", got)
		}
	})

	t.Run("expired entry dropped", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		m := fx.notification(t, "2", "")
		m.SigningCertURL = fx.srv.URL + "/short.pem"
		fx.sign(t, m)
		if err := fx.v.Verify(ctx, m); err != nil {
			t.Fatal(err)
		}
		fx.clock.Add(90 * time.Minute) // past the certificate's NotAfter
		m = fx.notification(t, "2", "")
		m.SigningCertURL = fx.srv.URL + "/short.pem"
		fx.sign(t, m)
		if err := fx.v.Verify(ctx, m); !errors.Is(err, ErrCertificate) {
			t.Fatalf("Verify with an expired cached certificate: %v, want ErrCertificate", err)
		}
		if got := fx.certHits.Load(); got != 2 {
			t.Fatalf("certificate fetched %d times, want 2 (expired entry must be refetched)", got)
		}
	})

	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		fx.v.CacheSize = 2
		for i := range 5 {
			m := fx.notification(t, "2", "")
			m.SigningCertURL = fmt.Sprintf("%s%s?n=%d", fx.srv.URL, goodCert, i)
			fx.sign(t, m)
			if err := fx.v.Verify(ctx, m); err != nil {
				t.Fatal(err)
			}
			fx.clock.Add(time.Second)
		}
		fx.v.mu.Lock()
		n := len(fx.v.cache)
		_, newest := fx.v.cache[fmt.Sprintf("%s%s?n=4", fx.srv.URL, goodCert)]
		fx.v.mu.Unlock()
		if n != 2 || !newest {
			t.Fatalf("cache holds %d entries (newest kept: %v), want 2 with the newest", n, newest)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			m := fx.notification(t, "2", "")
			wg.Go(func() { errs <- fx.v.Verify(ctx, m) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestConfirmSubscription(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("confirms", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		m := fx.confirmation(t, TypeSubscriptionConfirmation, "2")
		arn, err := fx.v.ConfirmSubscription(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if want := topic + ":2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"; arn != want {
			t.Errorf("subscription ARN = %q, want %q", arn, want)
		}
		if fx.confirms.Load() != 1 || fx.token.Load() != m.Token {
			t.Errorf("confirm endpoint hit %d times with token %v", fx.confirms.Load(), fx.token.Load())
		}
	})

	t.Run("not verified, not visited", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		m := fx.confirmation(t, TypeSubscriptionConfirmation, "2")
		m.SubscribeURL += "&extra=1"
		if _, err := fx.v.ConfirmSubscription(ctx, m); !errors.Is(err, ErrSignature) {
			t.Fatalf("error = %v, want ErrSignature", err)
		}
		if n := fx.confirms.Load(); n != 0 {
			t.Fatalf("SubscribeURL visited %d times", n)
		}
	})

	t.Run("subscribe URL on another host", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		m := fx.confirmation(t, TypeSubscriptionConfirmation, "2")
		m.SubscribeURL = "https://evil.example.com/confirm?Action=ConfirmSubscription&Token=" + m.Token
		fx.sign(t, m)
		_, err := fx.v.ConfirmSubscription(ctx, m)
		if !errors.Is(err, ErrURLNotAllowed) {
			t.Fatalf("error = %v, want ErrURLNotAllowed", err)
		}
		if strings.Contains(err.Error(), m.Token) {
			t.Errorf("error reveals the token: %v", err)
		}
		if n := fx.confirms.Load(); n != 0 {
			t.Fatalf("confirm endpoint hit %d times", n)
		}
	})

	t.Run("not a subscription confirmation", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		if _, err := fx.v.ConfirmSubscription(ctx, fx.notification(t, "2", "")); !errors.Is(err, ErrMalformed) {
			t.Fatalf("error = %v, want ErrMalformed", err)
		}
		m := fx.confirmation(t, TypeUnsubscribeConfirmation, "2")
		if _, err := fx.v.ConfirmSubscription(ctx, m); !errors.Is(err, ErrMalformed) {
			t.Fatalf("error = %v, want ErrMalformed", err)
		}
		if n := fx.confirms.Load(); n != 0 {
			t.Fatalf("confirm endpoint hit %d times", n)
		}
	})

	t.Run("SNS refuses", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		fx.confirm = http.StatusForbidden
		m := fx.confirmation(t, TypeSubscriptionConfirmation, "2")
		_, err := fx.v.ConfirmSubscription(ctx, m)
		if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
			t.Fatalf("error = %v, want HTTP 403", err)
		}
		if strings.Contains(err.Error(), m.Token) {
			t.Errorf("error reveals the token: %v", err)
		}
	})
}

func TestStringToSign(t *testing.T) {
	t.Parallel()
	n := &Message{
		Type:      TypeNotification,
		MessageID: "da41e39f-ea4d-435a-b922-c6aae3915ebe",
		TopicArn:  "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:   "Hello\nworld",
		Timestamp: "2012-04-25T21:49:25.719Z",
		// Not signed:
		SignatureVersion: "1",
		Signature:        "x",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/a.pem",
		UnsubscribeURL:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe",
	}
	withSubject := *n
	withSubject.Subject = "My First Message"
	c := &Message{
		Type:         TypeSubscriptionConfirmation,
		MessageID:    "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:        "2336412f37",
		TopicArn:     "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:      "You have chosen to subscribe.",
		SubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37",
		Timestamp:    "2012-04-26T20:45:04.751Z",
		Subject:      "ignored for confirmations",
	}
	tests := []struct {
		name string
		m    *Message
		want string
	}{
		{"notification", n, "Message\nHello\nworld\nMessageId\nda41e39f-ea4d-435a-b922-c6aae3915ebe\n" +
			"Timestamp\n2012-04-25T21:49:25.719Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n"},
		{"notification with subject", &withSubject, "Message\nHello\nworld\nMessageId\nda41e39f-ea4d-435a-b922-c6aae3915ebe\n" +
			"Subject\nMy First Message\n" +
			"Timestamp\n2012-04-25T21:49:25.719Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n"},
		{"subscription confirmation", c, "Message\nYou have chosen to subscribe.\nMessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n" +
			"SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37\n" +
			"Timestamp\n2012-04-26T20:45:04.751Z\nToken\n2336412f37\n" +
			"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n"},
	}
	for _, tt := range tests {
		got, err := StringToSign(tt.m)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	if _, err := StringToSign(&Message{Type: "Other"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown type: %v", err)
	}
}
