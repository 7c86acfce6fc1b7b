package fake_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/opsdesk/opsdesk/internal/fake"
)

func s3Client(f *fake.S3, region string, creds aws.CredentialsProvider) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		Credentials:  creds,
		BaseEndpoint: aws.String(f.URL()),
		UsePathStyle: true,
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
		Retryer:      aws.NopRetryer{},
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestS3Objects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewS3(t)
	f.CreateBucket("archive")
	c := s3Client(f, f.Region(), f.CredentialsProvider())
	data := []byte("0123456789abcdefghij")

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("p/01/k"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := f.Object("archive", "p/01/k"); !ok || !bytes.Equal(got, data) {
		t.Fatalf("stored %q %v", got, ok)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("archive"), Key: aws.String("p/01/k")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("head: %v %+v", err, head)
	}
	for _, tc := range []struct{ rng, want string }{
		{"", string(data)},
		{"bytes=0-3", "0123"},
		{"bytes=10-", "abcdefghij"},
		{"bytes=-4", "ghij"},
		{"bytes=18-100", "ij"},
	} {
		in := &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("p/01/k")}
		if tc.rng != "" {
			in.Range = aws.String(tc.rng)
		}
		out, err := c.GetObject(ctx, in)
		if err != nil {
			t.Fatalf("get %q: %v", tc.rng, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != tc.want {
			t.Errorf("get %q: %q, want %q", tc.rng, b, tc.want)
		}
		if tc.rng != "" && aws.ToString(out.ContentRange) == "" {
			t.Errorf("get %q: no Content-Range", tc.rng)
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("p/01/k"), Range: aws.String("bytes=20-")})
	if apiCode(err) != "InvalidRange" {
		t.Errorf("range past the end: %v", err)
	}

	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("archive"), Key: aws.String("nope")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("head of a missing object: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("nope")})
	var nk *types.NoSuchKey
	if !errors.As(err, &nk) {
		t.Errorf("get of a missing object: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("other"), Key: aws.String("p/01/k")})
	if apiCode(err) != "NoSuchBucket" {
		t.Errorf("get from a missing bucket: %v", err)
	}

	// A checksum that does not match the body is refused.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("bad"), Body: bytes.NewReader(data),
		ChecksumSHA256: aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")})
	if apiCode(err) != "BadDigest" {
		t.Errorf("wrong checksum: %v", err)
	}
	if _, ok := f.Object("archive", "bad"); ok {
		t.Error("object with a wrong checksum stored")
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("archive"), Key: aws.String("p/01/k")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Object("archive", "p/01/k"); ok {
		t.Error("deleted object still there")
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("archive"), Key: aws.String("p/01/k")}); err != nil {
		t.Errorf("deleting a missing object: %v", err)
	}
	if f.Calls("PutObject") != 2 || f.Calls("DeleteObject") != 2 {
		t.Errorf("calls: put %d delete %d", f.Calls("PutObject"), f.Calls("DeleteObject"))
	}
}

func TestS3List(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewS3(t)
	f.CreateBucket("b")
	f.SetMaxKeys(3)
	var want []string
	for i := range 10 {
		k := fmt.Sprintf("pre/%02d", i)
		want = append(want, k)
		f.SetObject("b", k, []byte(k))
	}
	f.SetObject("b", "other/x", []byte("x"))
	c := s3Client(f, f.Region(), f.CredentialsProvider())
	var got []string
	pages := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String("pre/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
			if aws.ToInt64(o.Size) != 6 {
				t.Errorf("%s: size %d", aws.ToString(o.Key), aws.ToInt64(o.Size))
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || pages != 4 {
		t.Errorf("listed %v in %d pages; want %v in 4", got, pages, want)
	}
	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b"), ContinuationToken: aws.String("garbage")})
	if apiCode(err) != "InvalidArgument" {
		t.Errorf("bad continuation token: %v", err)
	}
}

func TestS3Auth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewS3(t)
	f.CreateBucket("b")
	f.SetObject("b", "k", []byte("secret"))

	// Unsigned.
	resp, err := http.Get(f.URL() + "/b/k")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") || strings.Contains(string(body), "secret") {
		t.Errorf("unsigned: %d %s", resp.StatusCode, body)
	}
	// Another scheme.
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/b/k", nil)
	req.Header.Set("Authorization", "AWS AKIA:sig")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("SigV2: %d", resp.StatusCode)
	}

	for _, tc := range []struct {
		name   string
		region string
		creds  aws.CredentialsProvider
		code   string
	}{
		{"wrong secret", f.Region(), credentials.NewStaticCredentialsProvider(f.AccessKeyID(), "not the secret", ""), "SignatureDoesNotMatch"},
		{"unknown key", f.Region(), credentials.NewStaticCredentialsProvider("AKIAUNKNOWN000000000", f.SecretAccessKey(), ""), "InvalidAccessKeyId"},
		{"wrong region", "us-west-2", f.CredentialsProvider(), "AuthorizationHeaderMalformed"},
	} {
		c := s3Client(f, tc.region, tc.creds)
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		if apiCode(err) != tc.code {
			t.Errorf("%s: %v; want %s", tc.name, err, tc.code)
		}
	}

	// A signature from another time.
	at := time.Now().Add(-time.Hour)
	old := fake.NewS3(t, fake.WithClock(func() time.Time { return at }))
	old.CreateBucket("b")
	_, err = s3Client(old, old.Region(), old.CredentialsProvider()).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if apiCode(err) != "RequestTimeTooSkewed" {
		t.Errorf("skewed clock: %v", err)
	}

	// Operations the fake does not speak say so.
	c := s3Client(f, f.Region(), f.CredentialsProvider())
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b"), Delimiter: aws.String("/")})
	if apiCode(err) != "NotImplemented" {
		t.Errorf("delimiter: %v", err)
	}
	if f.Calls("GetObject") != 0 {
		t.Errorf("%d rejected GetObject calls counted", f.Calls("GetObject"))
	}
}
