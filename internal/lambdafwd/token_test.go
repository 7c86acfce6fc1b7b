package lambdafwd_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/events/samples"
	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

const secretARN = "arn:aws:secretsmanager:ap-northeast-1:141855812477:secret:opsdesk/lambda-token-AbCdEf"

// fakeSecrets is a Secrets Manager endpoint (JSON 1.1 protocol) holding
// one secret.
type fakeSecrets struct {
	*httptest.Server
	mu    sync.Mutex
	value string
	calls int
}

func newFakeSecrets(t *testing.T, value string) *fakeSecrets {
	t.Helper()
	f := &fakeSecrets{value: value}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"InvalidRequestException","message":"unexpected request"}`))
			return
		}
		var in struct{ SecretId string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		if in.SecretId != secretARN {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ARN": secretARN, "Name": "opsdesk/lambda-token", "SecretString": f.value,
			"VersionId": "v1", "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7112e9,
		})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSecrets) set(v string) {
	f.mu.Lock()
	f.value = v
	f.mu.Unlock()
}

func (f *fakeSecrets) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func sdkConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "ap-northeast-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// The secret is read once and cached; a refresh reads it again. A JSON
// secret gives its "token".
func TestSecretTokenCachesAndRefreshes(t *testing.T) {
	t.Parallel()
	f := newFakeSecrets(t, `{"token":"odt_from-json","note":"rotated monthly"}`)
	src := lambdafwd.NewSecretToken(sdkConfig(f.URL), secretARN)
	ctx := context.Background()
	for range 3 {
		tok, err := src.Token(ctx, false)
		if err != nil || tok != "odt_from-json" {
			t.Fatalf("Token = %q, %v", tok, err)
		}
	}
	if f.Calls() != 1 {
		t.Errorf("%d GetSecretValue calls for three Token calls, want 1", f.Calls())
	}
	f.set("  odt_plain-string\n")
	tok, err := src.Token(ctx, true)
	if err != nil || tok != "odt_plain-string" || f.Calls() != 2 {
		t.Errorf("refresh: %q, %v after %d calls", tok, err, f.Calls())
	}
	for _, bad := range []string{`{"password":"x"}`, `{"token":`, ""} {
		f.set(bad)
		if tok, err := src.Token(ctx, true); err == nil {
			t.Errorf("secret %q gave token %q, want an error", bad, tok)
		}
	}
	missing := lambdafwd.NewSecretToken(sdkConfig(f.URL), "arn:aws:secretsmanager:ap-northeast-1:141855812477:secret:nope")
	if _, err := missing.Token(ctx, false); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("missing secret: %v", err)
	}
}

// End to end with a rotated secret: the function is configured from its
// environment with a secret ARN, reads the secret through the SDK's default
// configuration, keeps it across invocations, and after the token is
// rotated (old token revoked in opsdesk, new one in the secret) re-reads
// the secret on the 401 and delivers.
func TestSecretRotationEndToEnd(t *testing.T) {
	o := startOpsdesk(t, "")
	f := newFakeSecrets(t, o.token)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": f.URL,
		"AWS_REGION":                       "ap-northeast-1",
		"AWS_ACCESS_KEY_ID":                "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_CONFIG_FILE":                  filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":        "true",
	} {
		t.Setenv(k, v)
	}
	env := map[string]string{"OPSDESK_URL": o.URL + "/", "OPSDESK_TOKEN_SECRET_ARN": secretARN}
	s, err := lambdafwd.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	h, err := lambdafwd.New(context.Background(), s, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	invoke := func(name string) {
		t.Helper()
		body, _ := samples.Get(name)
		if _, err := h.Invoke(context.Background(), body); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, logs)
		}
	}
	invoke("scheduled")
	invoke("s3-put")
	if f.Calls() != 1 {
		t.Errorf("%d secret reads for two invocations, want 1", f.Calls())
	}

	if err := o.App.Auth.RevokeToken(context.Background(), "lambda"); err != nil {
		t.Fatal(err)
	}
	fresh, err := o.App.Auth.CreateToken(context.Background(), "lambda-2", auth.ScopeIngestEvents)
	if err != nil {
		t.Fatal(err)
	}
	f.set(fresh)
	invoke("connect-contact-event")
	if f.Calls() != 2 {
		t.Errorf("%d secret reads after rotation, want 2", f.Calls())
	}
	stored := o.events(t)
	if len(stored) != 3 {
		t.Errorf("stored %v, want 3 events", stored)
	}
	for _, e := range stored {
		if e.Via != "lambda" {
			t.Errorf("stored %+v", e)
		}
	}
	for _, tok := range []string{o.token, fresh} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("a token was logged:\n%s", logs)
		}
	}
}
