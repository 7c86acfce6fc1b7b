package fake

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sigV4 recomputes a request's SigV4 signature with the SDK's signer, over
// the headers the client said it signed, for service in region at the
// signing time, with the secret of akid. payloadHash is the hex SHA-256 of
// the body (or S3's UNSIGNED-PAYLOAD); s3 canonicalizes the path the way
// S3 does (no second escaping). It returns the signature and the signed
// headers, to compare with the request's Authorization header.
func sigV4(r *http.Request, payloadHash string, signed []string, akid, secret, service, region string, at time.Time, s3 bool) (signature, signedHeaders string, err error) {
	req, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return "", "", err
	}
	req.Host = r.Host
	for _, h := range signed {
		switch h {
		case "host", "x-amz-date":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, service, region, at, func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = s3
	}); err != nil {
		return "", "", err
	}
	auth := req.Header.Get("Authorization")
	_, sig, _ := strings.Cut(auth, "Signature=")
	_, sh, _ := strings.Cut(auth, "SignedHeaders=")
	sh, _, _ = strings.Cut(sh, ",")
	return sig, sh, nil
}

// staticCredentials are the fixed credentials an AWS fake accepts, for the
// SDK client a test points at it.
func staticCredentials(akid, secret, source string) aws.CredentialsProvider {
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Source: source}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
}
