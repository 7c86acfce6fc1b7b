package fake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
)

// SNS plays Amazon SNS towards an HTTP/S subscriber: it signs
// notifications and subscription confirmations with its own key, serves
// the signing certificate and the SubscribeURL over TLS, and records
// confirmations. The subscriber's verifier must accept the fake's host:
// set its CertURLAllowed to SNS.CertURLAllowed and its Client to
// SNS.Client().
type SNS struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	cert []byte
	now  func() time.Time

	mu        sync.Mutex
	confirmed []string
	seq       int
}

// NewSNS starts the fake; it is closed by t.Cleanup.
func NewSNS(t testing.TB, opts ...Option) *SNS {
	t.Helper()
	o := options{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s := &SNS{key: key, cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), now: o.now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		_, _ = w.Write(s.cert)
	})
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, r *http.Request) {
		topic := r.URL.Query().Get("TopicArn")
		s.mu.Lock()
		s.confirmed = append(s.confirmed, topic)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>%s:fake</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`, topic)
	})
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// Client trusts the fake's TLS certificate.
func (s *SNS) Client() *http.Client { return s.srv.Client() }

// CertURLAllowed accepts the fake's own https URLs (for
// snsverify.Verifier.CertURLAllowed).
func (s *SNS) CertURLAllowed(u *url.URL) bool {
	return u.Scheme == "https" && "https://"+u.Host == s.srv.URL
}

// Confirmed lists the topics whose SubscribeURL was visited.
func (s *SNS) Confirmed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.confirmed...)
}

func (s *SNS) sign(m *snsverify.Message) []byte {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	if m.MessageID == "" {
		m.MessageID = fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	m.Timestamp = s.now().UTC().Format("2006-01-02T15:04:05.000Z")
	m.SigningCertURL = s.srv.URL + "/SimpleNotificationService.pem"
	if m.SignatureVersion == "" {
		m.SignatureVersion = "1"
	}
	if err := snsverify.Sign(m, s.key); err != nil {
		panic(err)
	}
	b, _ := json.Marshal(m)
	return b
}

// Notification returns a signed Notification body carrying message.
func (s *SNS) Notification(topicARN, subject, message string) []byte {
	return s.sign(&snsverify.Message{
		Type: snsverify.TypeNotification, TopicArn: topicARN, Subject: subject, Message: message,
		UnsubscribeURL: s.srv.URL + "/unsubscribe?TopicArn=" + url.QueryEscape(topicARN),
	})
}

// SubscriptionConfirmation returns a signed SubscriptionConfirmation body
// whose SubscribeURL points at the fake.
func (s *SNS) SubscriptionConfirmation(topicARN string) []byte {
	return s.sign(&snsverify.Message{
		Type: snsverify.TypeSubscriptionConfirmation, TopicArn: topicARN, Token: strings.Repeat("ab", 32),
		Message:      "You have chosen to subscribe to the topic " + topicARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: s.srv.URL + "/confirm?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicARN),
	})
}
