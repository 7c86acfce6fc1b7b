package snsverify

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of Verifier's fields.
const (
	// DefaultWindow is how far a message's Timestamp may be from the local
	// clock. SNS stops retrying an HTTP/S delivery within an hour.
	DefaultWindow = time.Hour
	// DefaultCacheSize is how many signing certificates are kept.
	DefaultCacheSize = 32
	// DefaultTimeout bounds each certificate fetch and confirmation call
	// when Client is nil.
	DefaultTimeout = 10 * time.Second
)

// defaultHostSuffixes are the domains SNS hosts live under: sns.<region>
// followed by one of these.
var defaultHostSuffixes = []string{".amazonaws.com", ".amazonaws.com.cn"}

const (
	// certTTL forces an occasional refetch even of a valid certificate.
	certTTL = 24 * time.Hour
	// maxCertBytes bounds a certificate download (real ones are ~2 KiB).
	maxCertBytes = 64 << 10
	// maxConfirmBytes bounds the ConfirmSubscription response read.
	maxConfirmBytes = 64 << 10
)

// Verifier checks SNS message signatures. The zero value is ready to use;
// a Verifier must not be copied after first use (it holds the certificate
// cache) and is safe for concurrent use.
type Verifier struct {
	// Client fetches certificates and confirms subscriptions. Nil means a
	// client with DefaultTimeout. Redirects are never followed, whatever
	// the client's own policy.
	Client *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Window is how far Timestamp may be from Now, earlier or later
	// (zero or negative: DefaultWindow).
	Window time.Duration
	// AllowedHostSuffixes are the domains SigningCertURL and SubscribeURL
	// hosts may be under, as sns.<region><suffix>. Nil means
	// ".amazonaws.com" and ".amazonaws.com.cn" (China); set it for other
	// partitions.
	AllowedHostSuffixes []string
	// CertURLAllowed, when set, replaces the host check for SigningCertURL
	// and SubscribeURL (the URL must still be https). For tests, which serve
	// certificates from httptest servers.
	CertURLAllowed func(*url.URL) bool
	// TopicAllowed, when set, must accept the message's TopicArn; SNS
	// advises rejecting messages from unexpected topics.
	TopicAllowed func(topicARN string) bool
	// CacheSize bounds the certificate cache (zero or negative:
	// DefaultCacheSize).
	CacheSize int

	mu    sync.Mutex
	cache map[string]cachedCert
}

type cachedCert struct {
	key      *rsa.PublicKey
	notAfter time.Time
	fetched  time.Time
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks that m was signed by SNS and is recent. It checks, in
// order: the type and required fields, the SignatureVersion, the
// Timestamp, the topic, the SigningCertURL, and then the signature with
// the (cached) certificate. Every failure wraps one of the Err* values.
func (v *Verifier) Verify(ctx context.Context, m *Message) error {
	toSign, err := StringToSign(m)
	if err != nil {
		return err
	}
	required := []struct{ name, value string }{
		{"MessageId", m.MessageID},
		{"TopicArn", m.TopicArn},
		{"Timestamp", m.Timestamp},
		{"Signature", m.Signature},
		{"SigningCertURL", m.SigningCertURL},
	}
	if m.Type != TypeNotification {
		required = append(required,
			struct{ name, value string }{"Token", m.Token},
			struct{ name, value string }{"SubscribeURL", m.SubscribeURL})
	}
	for _, f := range required {
		if f.value == "" {
			return malformed(f.name + " is missing")
		}
	}
	hash, sum, err := digest(m.SignatureVersion, toSign)
	if err != nil {
		return err
	}
	sent, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return malformed(fmt.Sprintf("Timestamp %q is not an RFC 3339 time", m.Timestamp))
	}
	window := v.Window
	if window <= 0 {
		window = DefaultWindow
	}
	now := v.now()
	if skew := now.Sub(sent); skew > window || skew < -window {
		return fmt.Errorf("snsverify: %w: message %s was sent at %s, %s from now (allowed: %s)",
			ErrTimestamp, m.MessageID, sent.UTC().Format(time.RFC3339), skew.Round(time.Second), window)
	}
	if v.TopicAllowed != nil && !v.TopicAllowed(m.TopicArn) {
		return fmt.Errorf("snsverify: %w: %s", ErrTopic, m.TopicArn)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return malformed("Signature is not base64")
	}
	certURL, err := v.checkURL("SigningCertURL", m.SigningCertURL)
	if err != nil {
		return err
	}
	key, err := v.publicKey(ctx, certURL, now)
	if err != nil {
		return err
	}
	if err := rsa.VerifyPKCS1v15(key, hash, sum, sig); err != nil {
		return fmt.Errorf("snsverify: %w (message %s, SignatureVersion %s)", ErrSignature, m.MessageID, m.SignatureVersion)
	}
	return nil
}

// checkURL accepts only https URLs on an SNS host (or whatever
// CertURLAllowed accepts), with no user information. Errors show the URL
// without its query, which for a SubscribeURL holds the token.
func (v *Verifier) checkURL(field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("snsverify: %s: %w: not a URL", field, ErrURLNotAllowed)
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	refuse := func(why string) error {
		return fmt.Errorf("snsverify: %s %q: %w: %s", field, shown, ErrURLNotAllowed, why)
	}
	switch {
	case u.Scheme != "https":
		return nil, refuse("scheme must be https")
	case u.User != nil:
		return nil, refuse("user information is not allowed")
	case u.Host == "":
		return nil, refuse("no host")
	}
	if v.CertURLAllowed != nil {
		if !v.CertURLAllowed(u) {
			return nil, refuse(fmt.Sprintf("host %q refused", u.Host))
		}
		return u, nil
	}
	suffixes := v.AllowedHostSuffixes
	if suffixes == nil {
		suffixes = defaultHostSuffixes
	}
	if !snsHost(u, suffixes) {
		return nil, refuse(fmt.Sprintf("host %q is not sns.<region>%s",
			u.Host, strings.Join(suffixes, " or sns.<region>")))
	}
	if field == "SigningCertURL" && (!certPath.MatchString(u.Path) || u.RawQuery != "" || u.Fragment != "") {
		return nil, refuse("path is not /SimpleNotificationService-<hex>.pem")
	}
	return u, nil
}

// snsHost reports whether u's host is sns.<region><suffix> on the default
// port, with region an AWS region name such as us-east-1 (not a bucket
// host such as sns.s3.amazonaws.com), and a China region (cn-…) exactly
// under .amazonaws.com.cn.
func snsHost(u *url.URL, suffixes []string) bool {
	if p := u.Port(); p != "" && p != "443" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	rest, ok := strings.CutPrefix(host, "sns.")
	if !ok {
		return false
	}
	for _, s := range suffixes {
		s = strings.ToLower(s)
		if !strings.HasPrefix(s, ".") {
			s = "." + s
		}
		region, ok := strings.CutSuffix(rest, s)
		if !ok || !regionName.MatchString(region) {
			continue
		}
		switch china := strings.HasPrefix(region, "cn-"); s {
		case ".amazonaws.com":
			ok = !china
		case ".amazonaws.com.cn":
			ok = china
		}
		if ok {
			return true
		}
	}
	return false
}

// regionName is the shape of AWS region names: a two-letter area, then
// words, then a number (us-east-1, ap-northeast-3, us-gov-west-1,
// cn-northwest-1, eu-isoe-west-1).
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// certPath is the path of SNS's signing certificates.
var certPath = regexp.MustCompile(`^/SimpleNotificationService-[0-9a-fA-F]{8,64}\.pem$`)

// client returns a copy of the configured client that never follows
// redirects: a redirect would leave the host that was checked.
func (v *Verifier) client() *http.Client {
	var c http.Client
	if v.Client != nil {
		c = *v.Client
	} else {
		c.Timeout = DefaultTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// publicKey returns the RSA key of the certificate at u, from the cache
// while the certificate is valid and not older than certTTL.
func (v *Verifier) publicKey(ctx context.Context, u *url.URL, now time.Time) (*rsa.PublicKey, error) {
	key := u.String()
	v.mu.Lock()
	c, ok := v.cache[key]
	if ok && (now.After(c.notAfter) || now.Sub(c.fetched) > certTTL || now.Before(c.fetched)) {
		delete(v.cache, key)
		ok = false
	}
	v.mu.Unlock()
	if ok {
		return c.key, nil
	}

	cert, err := v.fetchCert(ctx, u)
	if err != nil {
		return nil, err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("snsverify: %s: %w: certificate valid %s to %s, not now",
			key, ErrCertificate, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("snsverify: %s: %w: public key is %T, not RSA", key, ErrCertificate, cert.PublicKey)
	}

	size := v.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache == nil {
		v.cache = make(map[string]cachedCert)
	}
	for len(v.cache) >= size {
		v.evictOldest()
	}
	v.cache[key] = cachedCert{key: pub, notAfter: cert.NotAfter, fetched: now}
	return pub, nil
}

// evictOldest drops the entry fetched longest ago. v.mu is held.
func (v *Verifier) evictOldest() {
	var oldest string
	var at time.Time
	first := true
	for k, c := range v.cache {
		if first || c.fetched.Before(at) {
			oldest, at, first = k, c.fetched, false
		}
	}
	delete(v.cache, oldest)
}

func (v *Verifier) fetchCert(ctx context.Context, u *url.URL) (*x509.Certificate, error) {
	body, err := v.get(ctx, u, maxCertBytes)
	if err != nil {
		return nil, fmt.Errorf("snsverify: fetch signing certificate: %w: %w", ErrCertificate, err)
	}
	rest := body
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("snsverify: %s: %w: no PEM CERTIFICATE block", u, ErrCertificate)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("snsverify: %s: %w: %v", u, ErrCertificate, err)
		}
		return cert, nil
	}
}

// get fetches u without following redirects and returns at most limit
// bytes of a 200 response.
func (v *Verifier) get(ctx context.Context, u *url.URL, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	// Errors name the URL without its query: a SubscribeURL's query holds
	// the confirmation token.
	where := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	resp, err := v.client().Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("GET %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("GET %s: HTTP %d", where, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", where, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", where, limit)
	}
	return body, nil
}

// ConfirmSubscription verifies a SubscriptionConfirmation and then visits
// its SubscribeURL, which must pass the same host check as a signing
// certificate URL. It returns the subscription ARN from SNS's answer ("" if
// the answer could not be read; the confirmation itself succeeded).
func (v *Verifier) ConfirmSubscription(ctx context.Context, m *Message) (string, error) {
	if m == nil {
		return "", malformed("no message")
	}
	if m.Type != TypeSubscriptionConfirmation {
		return "", malformed(fmt.Sprintf("Type is %q, not %s", m.Type, TypeSubscriptionConfirmation))
	}
	if err := v.Verify(ctx, m); err != nil {
		return "", err
	}
	u, err := v.checkURL("SubscribeURL", m.SubscribeURL)
	if err != nil {
		return "", err
	}
	body, err := v.get(ctx, u, maxConfirmBytes)
	if err != nil {
		return "", fmt.Errorf("snsverify: confirm subscription to %s: %w", m.TopicArn, err)
	}
	var resp struct {
		SubscriptionArn string `xml:"ConfirmSubscriptionResult>SubscriptionArn"`
	}
	if xml.Unmarshal(body, &resp) != nil {
		return "", nil
	}
	return resp.SubscriptionArn, nil
}
