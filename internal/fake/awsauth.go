package fake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// awsAuthError is why a SigV4 check failed: the AWS error code and message.
type awsAuthError struct{ code, msg string }

// checkSigV4Keys verifies a request's SigV4 Authorization header the way AWS
// front ends do: the credential scope names service, the X-Amz-Date is
// within window of now, the access key is known (secret returns its
// secret key and, for temporary keys, the session token that must come in
// X-Amz-Security-Token), and the signature, recomputed with the SDK's
// signer, matches (hmac.Equal). It returns the access key id.
func checkSigV4Keys(r *http.Request, body []byte, service string, now time.Time, window time.Duration, secret func(akid string) (key, token string, ok bool)) (string, *awsAuthError) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", &awsAuthError{"MissingAuthenticationToken", "Request is missing Authentication Token"}
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	scope := strings.Split(params["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || params["SignedHeaders"] == "" || params["Signature"] == "" {
		return "", &awsAuthError{"IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters"}
	}
	akid, day, region := scope[0], scope[1], scope[2]
	if scope[3] != service {
		return "", &awsAuthError{"SignatureDoesNotMatch", "Credential should be scoped to correct service: '" + service + "'."}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || day != amzDate[:8] {
		return "", &awsAuthError{"IncompleteSignature", "X-Amz-Date is missing or does not match the credential scope"}
	}
	if d := now.Sub(signedAt); d > window || d < -window {
		return "", &awsAuthError{"SignatureDoesNotMatch", "Signature expired: " + amzDate}
	}
	key, token, ok := secret(akid)
	if !ok {
		return "", &awsAuthError{"InvalidClientTokenId", "The security token included in the request is invalid."}
	}
	if !hmac.Equal([]byte(r.Header.Get("X-Amz-Security-Token")), []byte(token)) {
		return "", &awsAuthError{"InvalidClientTokenId", "The security token included in the request is invalid."}
	}
	headers := strings.Split(params["SignedHeaders"], ";")
	if !slices.Contains(headers, "host") || !slices.Contains(headers, "x-amz-date") {
		return "", &awsAuthError{"SignatureDoesNotMatch", "'Host' and 'X-Amz-Date' must be signed headers"}
	}
	sum := sha256.Sum256(body)
	want, wantHeaders, err := sigV4(r, hex.EncodeToString(sum[:]), headers, akid, key, service, region, signedAt, false)
	if err != nil || wantHeaders != params["SignedHeaders"] || !hmac.Equal([]byte(want), []byte(params["Signature"])) {
		return "", &awsAuthError{"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	return akid, nil
}
