package fake

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// S3 is a fake Amazon S3 speaking the part of the REST API opsdesk's blob
// store uses, path-style only (http://URL/BUCKET/KEY):
//
//	PutObject       PUT    /{Bucket}/{Key}
//	GetObject       GET    /{Bucket}/{Key}     (Range: bytes=a-b, a-, -n)
//	HeadObject      HEAD   /{Bucket}/{Key}
//	DeleteObject    DELETE /{Bucket}/{Key}
//	ListObjectsV2   GET    /{Bucket}?list-type=2  (prefix, max-keys,
//	                                             continuation-token, start-after)
//
// Point the SDK for Go v2 at URL() (s3.Options.BaseEndpoint with
// UsePathStyle, or AWS_ENDPOINT_URL_S3) with CredentialsProvider() and
// Region(). Buckets are made with CreateBucket.
//
// It checks requests the way S3 does: a SigV4 Authorization header for
// service "s3" in Region(), recomputed with the fake's secret key (S3's
// canonical form: the path is not escaped twice); X-Amz-Date within the
// window (WithWindow, default 5 minutes) of the fake's clock (WithClock);
// the X-Amz-Content-Sha256 header, which must be the body's SHA-256 or
// UNSIGNED-PAYLOAD (aws-chunked STREAMING-… bodies are NotImplemented);
// Content-MD5 and the x-amz-checksum-sha256/crc32/crc32c headers against
// the body (BadDigest). Errors are S3's XML <Error> with S3's codes
// (NoSuchBucket, NoSuchKey, InvalidRange, SignatureDoesNotMatch, …), so the
// SDK returns its typed errors. Anything else answers NotImplemented.
//
// A PutObject body is at most 4 MiB (the limit of every fake's requests);
// larger ones answer 413 EntityTooLarge. The shared Server controls
// (FailNext, SetUnavailable, Down/Up, SetDelay, Requests) work as for the
// other fakes; SetMaxKeys shortens list pages to exercise continuation.
type S3 struct {
	*Server

	mu      sync.Mutex
	region  string
	akid    string
	secret  string
	buckets map[string]map[string]*s3Object
	maxKeys int
	calls   map[string]int
}

type s3Object struct {
	data      []byte
	etag      string
	modified  time.Time
	checksums map[string]string // x-amz-checksum-* header → value
}

// Identity of an S3 fake.
const (
	S3DefaultRegion   = "ap-northeast-1"
	S3AccessKeyID     = "AKIAFAKES3000000001"
	S3SecretAccessKey = "fakeS3SecretKey/0001+wJalrXUtnFEMIK7MDENGbPxRfi"

	s3MaxKeys = 1000
	s3XMLNS   = "http://s3.amazonaws.com/doc/2006-03-01/"
)

// NewS3 starts a fake S3 without buckets. Options: WithClock and
// WithWindow (signature time checks).
func NewS3(t testing.TB, opts ...Option) *S3 {
	t.Helper()
	f := &S3{
		Server:  newServer(t, "s3", opts, s3ErrorBody),
		region:  S3DefaultRegion,
		akid:    S3AccessKeyID,
		secret:  S3SecretAccessKey,
		buckets: map[string]map[string]*s3Object{},
		maxKeys: s3MaxKeys,
		calls:   map[string]int{},
	}
	f.start(f.serve)
	return f
}

// URL is the endpoint: s3.Options.BaseEndpoint or AWS_ENDPOINT_URL_S3.
func (f *S3) URL() string { return f.BaseURL() }

// Region is the region requests must be signed for.
func (f *S3) Region() string { return f.region }

// AccessKeyID and SecretAccessKey are the credentials the fake accepts.
func (f *S3) AccessKeyID() string     { return f.akid }
func (f *S3) SecretAccessKey() string { return f.secret }

// CredentialsProvider returns the fake's credentials for the SDK.
func (f *S3) CredentialsProvider() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(f.akid, f.secret, "")
}

// CreateBucket makes an empty bucket (a no-op if it exists).
func (f *S3) CreateBucket(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buckets[name] == nil {
		f.buckets[name] = map[string]*s3Object{}
	}
}

// SetMaxKeys caps the objects in one ListObjectsV2 page (default 1000).
func (f *S3) SetMaxKeys(n int) {
	f.mu.Lock()
	f.maxKeys = n
	f.mu.Unlock()
}

// Object returns a copy of an object's content.
func (f *S3) Object(bucket, key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.buckets[bucket][key]
	if o == nil {
		return nil, false
	}
	return bytes.Clone(o.data), true
}

// SetObject stores an object directly, without a request (to damage one
// in a test, or to put a stray object).
func (f *S3) SetObject(bucket, key string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buckets[bucket] == nil {
		f.buckets[bucket] = map[string]*s3Object{}
	}
	f.buckets[bucket][key] = newS3Object(data, nil, time.Now())
}

// Keys lists a bucket's object names in order.
func (f *S3) Keys(bucket string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.buckets[bucket]))
	for k := range f.buckets[bucket] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Calls is the number of authenticated requests for op ("PutObject",
// "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2").
func (f *S3) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func newS3Object(data []byte, checksums map[string]string, now time.Time) *s3Object {
	sum := md5.Sum(data)
	return &s3Object{data: data, etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: now.UTC().Truncate(time.Second), checksums: checksums}
}

// s3Error is an S3 error answer.
type s3Error struct {
	status int
	code   string
	msg    string
}

func s3Err(status int, code, format string, args ...any) *s3Error {
	return &s3Error{status, code, fmt.Sprintf(format, args...)}
}

func s3ErrorBody(status int, msg string) (string, []byte) {
	code := map[int]string{
		http.StatusBadRequest: "InvalidRequest", http.StatusForbidden: "AccessDenied", http.StatusNotFound: "NoSuchKey",
		http.StatusRequestEntityTooLarge: "EntityTooLarge", http.StatusServiceUnavailable: "SlowDown",
	}[status]
	if code == "" {
		code = "InternalError"
	}
	return "application/xml", s3ErrorXML(code, msg)
}

func s3ErrorXML(code, msg string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	_ = xml.NewEncoder(&b).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}{Code: code, Message: msg, RequestID: "FAKE0000S3000000"})
	return b.Bytes()
}

func (f *S3) writeErr(w http.ResponseWriter, r *http.Request, e *s3Error) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(s3ErrorXML(e.code, e.msg))
	}
}

func (f *S3) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amz-Request-Id", "FAKE0000S3000000")
	body, _ := io.ReadAll(r.Body)
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	var op string
	switch {
	case bucket == "":
		op = "ListBuckets"
	case key == "" && r.Method == http.MethodGet && q.Get("list-type") == "2":
		op = "ListObjectsV2"
	case key != "" && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") == "" && len(q) <= 1:
		op = "PutObject"
	case key != "" && r.Method == http.MethodGet && len(q) <= 1:
		op = "GetObject"
	case key != "" && r.Method == http.MethodHead:
		op = "HeadObject"
	case key != "" && r.Method == http.MethodDelete && len(q) <= 1:
		op = "DeleteObject"
	}
	if op == "" || op == "ListBuckets" || (len(q) == 1 && q.Get("x-id") == "" && op != "ListObjectsV2") {
		f.writeErr(w, r, s3Err(http.StatusNotImplemented, "NotImplemented", "The fake does not implement %s %s", r.Method, r.URL.RequestURI()))
		return
	}
	if e := f.authenticate(r, body); e != nil {
		f.writeErr(w, r, e)
		return
	}
	f.mu.Lock()
	f.calls[op]++
	objects := f.buckets[bucket]
	f.mu.Unlock()
	if objects == nil {
		f.writeErr(w, r, s3Err(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"))
		return
	}
	var e *s3Error
	switch op {
	case "PutObject":
		e = f.putObject(w, r, bucket, key, body)
	case "GetObject", "HeadObject":
		e = f.getObject(w, r, bucket, key)
	case "DeleteObject":
		f.mu.Lock()
		delete(f.buckets[bucket], key)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "ListObjectsV2":
		e = f.listObjects(w, r, bucket)
	}
	if e != nil {
		f.writeErr(w, r, e)
		return
	}
	f.accept(func() {})
}

func (f *S3) putObject(w http.ResponseWriter, r *http.Request, bucket, key string, body []byte) *s3Error {
	if len(key) > 1024 {
		return s3Err(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	}
	if v := r.Header.Get("Content-Md5"); v != "" {
		sum := md5.Sum(body)
		if v != base64.StdEncoding.EncodeToString(sum[:]) {
			return s3Err(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	}
	checksums := map[string]string{}
	for name, sum := range map[string]func([]byte) []byte{
		"X-Amz-Checksum-Sha256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"X-Amz-Checksum-Crc32":  func(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) },
		"X-Amz-Checksum-Crc32c": func(b []byte) []byte {
			return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
		},
	} {
		v := r.Header.Get(name)
		if v == "" {
			continue
		}
		if v != base64.StdEncoding.EncodeToString(sum(body)) {
			return s3Err(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", strings.TrimPrefix(strings.ToUpper(name), "X-AMZ-CHECKSUM-"))
		}
		checksums[name] = v
	}
	o := newS3Object(bytes.Clone(body), checksums, f.opt.now())
	f.mu.Lock()
	f.buckets[bucket][key] = o
	f.mu.Unlock()
	w.Header().Set("ETag", o.etag)
	for k, v := range checksums {
		w.Header().Set(k, v)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (f *S3) getObject(w http.ResponseWriter, r *http.Request, bucket, key string) *s3Error {
	f.mu.Lock()
	o := f.buckets[bucket][key]
	f.mu.Unlock()
	if o == nil {
		return s3Err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	}
	size := int64(len(o.data))
	start, end, ranged := int64(0), size, false
	if r.Method == http.MethodGet {
		if rg := r.Header.Get("Range"); rg != "" {
			a, b, ok := parseS3Range(rg, size)
			switch {
			case ok && (a >= size || a > b):
				w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
				return s3Err(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
			case ok:
				start, end, ranged = a, min(b+1, size), true
			}
		}
	}
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(end-start, 10))
	status := http.StatusOK
	if ranged {
		// A part of the object carries no full-object checksum.
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, size))
		status = http.StatusPartialContent
	} else if strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		for k, v := range o.checksums {
			h.Set(k, v)
		}
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		_, _ = w.Write(o.data[start:end])
	}
	return nil
}

// parseS3Range parses one byte range; ok is false for a header S3 would
// ignore (it then sends the whole object).
func parseS3Range(h string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, size > 0
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	if b == "" {
		return start, size - 1, true
	}
	end, err = strconv.ParseInt(b, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return start, end, true
}

type s3ListResult struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	XMLNS                 string   `xml:"xmlns,attr"`
	Name                  string
	Prefix                string
	StartAfter            string `xml:",omitempty"`
	KeyCount              int
	MaxKeys               int
	IsTruncated           bool
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	Contents              []s3ListObject
}

type s3ListObject struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
}

func (f *S3) listObjects(w http.ResponseWriter, r *http.Request, bucket string) *s3Error {
	q := r.URL.Query()
	if q.Get("delimiter") != "" || q.Get("encoding-type") != "" {
		return s3Err(http.StatusNotImplemented, "NotImplemented", "The fake does not implement delimiter or encoding-type")
	}
	f.mu.Lock()
	maxKeys := f.maxKeys
	f.mu.Unlock()
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s3Err(http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(maxKeys, n)
	}
	res := s3ListResult{XMLNS: s3XMLNS, Name: bucket, Prefix: q.Get("prefix"), StartAfter: q.Get("start-after"), MaxKeys: maxKeys, ContinuationToken: q.Get("continuation-token")}
	after := res.StartAfter
	if tok := res.ContinuationToken; tok != "" {
		k, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(k), "k:") {
			return s3Err(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		after = string(k[2:])
	}
	keys := f.Keys(bucket)
	f.mu.Lock()
	objects := f.buckets[bucket]
	for _, k := range keys {
		if !strings.HasPrefix(k, res.Prefix) || k <= after {
			continue
		}
		if len(res.Contents) == maxKeys {
			res.IsTruncated = true
			break
		}
		o := objects[k]
		if o == nil {
			continue // deleted since Keys
		}
		res.Contents = append(res.Contents, s3ListObject{Key: k, LastModified: o.modified.Format("2006-01-02T15:04:05.000Z"), ETag: o.etag, Size: int64(len(o.data)), StorageClass: "STANDARD"})
	}
	f.mu.Unlock()
	res.KeyCount = len(res.Contents)
	if res.IsTruncated && len(res.Contents) > 0 {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte("k:" + res.Contents[len(res.Contents)-1].Key))
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(res); err != nil {
		return s3Err(http.StatusInternalServerError, "InternalError", "%v", err)
	}
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write(b.Bytes())
	return nil
}

// authenticate checks the SigV4 Authorization header and the declared
// payload hash.
func (f *S3) authenticate(r *http.Request, body []byte) *s3Error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return s3Err(http.StatusForbidden, "AccessDenied", "Access Denied (the request is not signed)")
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return s3Err(http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type")
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	cred, signedHeaders, signature := params["Credential"], params["SignedHeaders"], params["Signature"]
	scope := strings.Split(cred, "/")
	if signedHeaders == "" || signature == "" || len(scope) != 5 || scope[4] != "aws4_request" {
		return s3Err(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; %q", cred)
	}
	akid, day, region, service := scope[0], scope[1], scope[2], scope[3]
	if akid != f.akid {
		return s3Err(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	if service != "s3" {
		return s3Err(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; incorrect service %q. This endpoint belongs to \"s3\".", service)
	}
	if region != f.region {
		return s3Err(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region '%s' is wrong; expecting '%s'", region, f.region)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || day != amzDate[:8] {
		return s3Err(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; X-Amz-Date %q does not match the credential date %q", amzDate, day)
	}
	now := f.opt.now().UTC()
	if d := now.Sub(signedAt); d > f.opt.window || d < -f.opt.window {
		return s3Err(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case payload == "":
		return s3Err(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	case strings.HasPrefix(payload, "STREAMING-"):
		return s3Err(http.StatusNotImplemented, "NotImplemented", "The fake does not implement aws-chunked payloads (%s)", payload)
	case payload == "UNSIGNED-PAYLOAD":
	default:
		sum := sha256.Sum256(body)
		if payload != hex.EncodeToString(sum[:]) {
			return s3Err(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "host") || !slices.Contains(headers, "x-amz-date") || !slices.Contains(headers, "x-amz-content-sha256") {
		return s3Err(http.StatusBadRequest, "AuthorizationHeaderMalformed", "host, x-amz-date and x-amz-content-sha256 must be signed headers")
	}
	want, wantHeaders, err := f.signature(r, payload, headers, region, signedAt)
	if err != nil || wantHeaders != signedHeaders || !hmac.Equal([]byte(want), []byte(signature)) {
		return s3Err(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	return nil
}

// signature recomputes a request's signature (see sigV4), the way S3
// canonicalizes.
func (f *S3) signature(r *http.Request, payload string, signed []string, region string, at time.Time) (signature, signedHeaders string, err error) {
	return sigV4(r, payload, signed, f.akid, f.secret, "s3", region, at, true)
}
