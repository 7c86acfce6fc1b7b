package blob

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Options configure the S3 store.
type S3Options struct {
	// Bucket and Prefix say where objects go: PREFIX/aa/KEY (aa the key's
	// first two hex digits), or aa/KEY without a prefix.
	Bucket string
	Prefix string
	// Region is the bucket's region; empty takes the SDK's (AWS_REGION,
	// the profile).
	Region string
	// LookupEnv reads AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (nil: os.LookupEnv). Any
	// endpoint override — these or the shared config file's — switches to
	// path-style addressing (http://endpoint/bucket/key), which every S3
	// emulator speaks.
	LookupEnv func(string) (string, bool)
	// Credentials replaces the SDK's default credential chain (tests).
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's HTTP client (tests).
	HTTPClient aws.HTTPClient
	// TempDir is where Put spools content while hashing it (default: the
	// system's temporary directory).
	TempDir string
}

// maxPutObject is the largest object one PutObject may carry.
const maxPutObject = 5 << 30

// readWindow is how much of an object one ranged GET asks for.
const readWindow = 8 << 20

// S3 keeps blobs as objects of an S3 bucket (or of any service speaking
// S3's REST API), through the AWS SDK for Go v2.
//
// Put spools the content to a temporary file while hashing it (the
// object's name is its hash, known only at the end), asks HeadObject
// whether the object exists, and if not uploads it with PutObject
// carrying the SHA-256 checksum, which S3 verifies. Open reads with
// ranged GETs, so a reader can seek.
type S3 struct {
	api    *s3.Client
	bucket string
	prefix string
	tmp    string
	window int64 // readWindow; smaller in tests
}

// NewS3 builds the store: credentials from the SDK's default chain
// (environment, shared files, SSO, the instance's or task's role) unless
// o.Credentials is set.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	if o.Bucket == "" {
		return nil, errors.New("blob: s3: no bucket")
	}
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	endpoint, err := s3Endpoint(lookup)
	if err != nil {
		return nil, err
	}
	var load []func(*awsconfig.LoadOptions) error
	if o.Region != "" {
		load = append(load, awsconfig.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		load = append(load, awsconfig.WithCredentialsProvider(o.Credentials))
	}
	if o.HTTPClient == nil {
		// No overall timeout (a large object takes what it takes), but a
		// server that does not answer is given up on. The SDK's own
		// buildable client also takes AWS_CA_BUNDLE.
		load = append(load, awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.ResponseHeaderTimeout = time.Minute
		})))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("blob: s3: load AWS configuration: %w", err)
	}
	if o.HTTPClient != nil {
		// Set after loading: the loader can apply AWS_CA_BUNDLE only to
		// the SDK's own client, and a custom one brings its own TLS.
		cfg.HTTPClient = o.HTTPClient
	}
	if cfg.Region == "" {
		return nil, errors.New("blob: s3: no region: set attachments.s3_region (or AWS_REGION)")
	}
	api := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		if so.BaseEndpoint != nil {
			so.UsePathStyle = true
		}
		// Reads are ranged, and a range carries no whole-object checksum:
		// do not ask for one, nor log its absence on every read. Put sends
		// the SHA-256, which S3 checks.
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	return &S3{api: api, bucket: o.Bucket, prefix: strings.Trim(o.Prefix, "/"), tmp: o.TempDir, window: readWindow}, nil
}

// s3Endpoint is the endpoint override from the environment, "" for none.
func s3Endpoint(lookup func(string) (string, bool)) (string, error) {
	env := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	if strings.EqualFold(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return "", nil
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		v := env(k)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err == nil && u.User != nil {
			return "", fmt.Errorf("blob: s3: endpoint from %s must not contain user info", k)
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("blob: s3: endpoint from %s is not an http(s) URL: %q", k, v)
		}
		return strings.TrimRight(v, "/"), nil
	}
	return "", nil
}

func (s *S3) String() string {
	return Spec{Kind: KindS3, Bucket: s.bucket, Prefix: s.prefix}.String()
}

// objectKey is the object name of a blob key.
func (s *S3) objectKey(key string) string {
	if s.prefix == "" {
		return key[:2] + "/" + key
	}
	return s.prefix + "/" + key[:2] + "/" + key
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, r io.Reader) (Info, error) {
	tmp, err := os.CreateTemp(s.tmp, "opsdesk-blob-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	sum := h.Sum(nil)
	info := Info{Key: hex.EncodeToString(sum), Size: n}
	if n > maxPutObject {
		return Info{}, fmt.Errorf("blob: put %s: %d bytes is more than one S3 PutObject takes (5 GiB)", info.Key, n)
	}
	if got, err := s.Stat(ctx, info.Key); err == nil && got.Size == n {
		return info, nil
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", info.Key, err)
	}
	_, err = s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:         aws.String(s.bucket),
		Key:            aws.String(s.objectKey(info.Key)),
		Body:           tmp,
		ContentLength:  aws.Int64(n),
		ContentType:    aws.String("application/octet-stream"),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum)),
	})
	if err != nil {
		return Info{}, fmt.Errorf("blob: put %s to %s: %w", info.Key, s, err)
	}
	return info, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, notFound("stat", key)
	}
	out, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
	if isS3NotFound(err) {
		return Info{}, notFound("stat", key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s in %s: %w", key, s, err)
	}
	return Info{Key: key, Size: aws.ToInt64(out.ContentLength)}, nil
}

func isS3NotFound(err error) bool {
	var nf *types.NotFound
	var nk *types.NoSuchKey
	return errors.As(err, &nf) || errors.As(err, &nk)
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (ReadSeekCloser, Info, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	return &s3Reader{s: s, ctx: ctx, key: key, size: info.Size}, info, nil
}

// s3Reader reads an object with ranged GETs of up to readWindow bytes: a
// sequential reader reads each window to its end (the connection is
// reused); a Seek elsewhere drops the current response.
type s3Reader struct {
	s    *S3
	ctx  context.Context
	key  string
	size int64
	pos  int64

	body    io.ReadCloser // the current response, nil if none
	bodyPos int64         // offset of body's next byte
	bodyEnd int64         // offset after body's last byte

	closed bool
}

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("blob: read after close")
	}
	for {
		if r.pos >= r.size {
			r.drop()
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		if r.body != nil && r.bodyPos != r.pos {
			r.drop()
		}
		if r.body == nil {
			if err := r.get(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		r.bodyPos += int64(n)
		if r.bodyPos > r.bodyEnd {
			return n, fmt.Errorf("blob: read %s: the range answer is longer than asked", r.key)
		}
		if err == io.EOF || r.bodyPos == r.bodyEnd {
			r.drop()
			if r.bodyPos < r.bodyEnd {
				return n, fmt.Errorf("blob: read %s: the object ended at %d, before its size %d", r.key, r.bodyPos, r.size)
			}
			err = nil
		}
		if err != nil {
			r.drop()
			return n, fmt.Errorf("blob: read %s: %w", r.key, err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// get starts a ranged GET at pos.
func (r *s3Reader) get() error {
	end := min(r.pos+r.s.window, r.size)
	out, err := r.s.api.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket: aws.String(r.s.bucket),
		Key:    aws.String(r.s.objectKey(r.key)),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", r.pos, end-1)),
	})
	if isS3NotFound(err) {
		return notFound("read", r.key)
	}
	if err != nil {
		return fmt.Errorf("blob: read %s from %s: %w", r.key, r.s, err)
	}
	r.body, r.bodyPos, r.bodyEnd = out.Body, r.pos, end
	return nil
}

func (r *s3Reader) drop() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

func (r *s3Reader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errors.New("blob: seek after close")
	}
	pos, err := seekPos(r.pos, r.size, offset, whence)
	if err != nil {
		return r.pos, err
	}
	r.pos = pos
	return pos, nil
}

func (r *s3Reader) Close() error {
	r.closed = true
	r.drop()
	return nil
}

// List implements Store. Objects under the prefix that are not blobs of
// their place are skipped.
func (s *S3) List(ctx context.Context, fn func(Info) error) error {
	prefix := ""
	if s.prefix != "" {
		prefix = s.prefix + "/"
	}
	p := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("blob: list %s: %w", s, err)
		}
		for _, obj := range page.Contents {
			rest := strings.TrimPrefix(aws.ToString(obj.Key), prefix)
			aa, key, ok := strings.Cut(rest, "/")
			if !ok || !ValidKey(key) || key[:2] != aa {
				continue
			}
			if err := fn(Info{Key: key, Size: aws.ToInt64(obj.Size)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob: delete: %q is not a blob key", key)
	}
	_, err := s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
	if err != nil && !isS3NotFound(err) {
		return fmt.Errorf("blob: delete %s from %s: %w", key, s, err)
	}
	return nil
}
