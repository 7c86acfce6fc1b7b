package lambdafwd_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    lambdafwd.Settings
		wantErr string
	}{
		{
			name: "token from env, defaults",
			env:  map[string]string{"OPSDESK_URL": "https://opsdesk.example.com/", "OPSDESK_TOKEN": "odt_x"},
			want: lambdafwd.Settings{URL: "https://opsdesk.example.com", Token: "odt_x", RequestTimeout: 10 * time.Second,
				MaxBody: 5 << 20, MaxAttempts: 6, LogLevel: slog.LevelInfo},
		},
		{
			name: "secret, events path given, tunables, Lambda's log level",
			env: map[string]string{"OPSDESK_URL": "http://10.0.0.5:8080/opsdesk/api/v1/events", "OPSDESK_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:t",
				"OPSDESK_REQUEST_TIMEOUT": "3s", "OPSDESK_MAX_BODY_BYTES": "2048", "OPSDESK_MAX_ATTEMPTS": "3", "AWS_LAMBDA_LOG_LEVEL": "debug"},
			want: lambdafwd.Settings{URL: "http://10.0.0.5:8080/opsdesk", SecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:t",
				RequestTimeout: 3 * time.Second, MaxBody: 2048, MaxAttempts: 3, LogLevel: slog.LevelDebug},
		},
		{name: "no URL", env: map[string]string{"OPSDESK_TOKEN": "x"}, wantErr: "OPSDESK_URL is not set"},
		{name: "not http", env: map[string]string{"OPSDESK_URL": "ftp://h", "OPSDESK_TOKEN": "x"}, wantErr: "not an http(s) URL"},
		{name: "token in URL", env: map[string]string{"OPSDESK_URL": "https://h/?token=odt_x", "OPSDESK_TOKEN": "x"}, wantErr: "without credentials"},
		{name: "userinfo", env: map[string]string{"OPSDESK_URL": "https://u:p@h", "OPSDESK_TOKEN": "x"}, wantErr: "without credentials"},
		{name: "no token", env: map[string]string{"OPSDESK_URL": "https://h"}, wantErr: "OPSDESK_TOKEN_SECRET_ARN"},
		{name: "both tokens", env: map[string]string{"OPSDESK_URL": "https://h", "OPSDESK_TOKEN": "x", "OPSDESK_TOKEN_SECRET_ARN": "arn:x"}, wantErr: "only one"},
		{name: "bad timeout", env: map[string]string{"OPSDESK_URL": "https://h", "OPSDESK_TOKEN": "x", "OPSDESK_REQUEST_TIMEOUT": "10"}, wantErr: "OPSDESK_REQUEST_TIMEOUT"},
		{name: "small body", env: map[string]string{"OPSDESK_URL": "https://h", "OPSDESK_TOKEN": "x", "OPSDESK_MAX_BODY_BYTES": "100"}, wantErr: "OPSDESK_MAX_BODY_BYTES"},
		{name: "attempts", env: map[string]string{"OPSDESK_URL": "https://h", "OPSDESK_TOKEN": "x", "OPSDESK_MAX_ATTEMPTS": "0"}, wantErr: "OPSDESK_MAX_ATTEMPTS"},
		{name: "level", env: map[string]string{"OPSDESK_URL": "https://h", "OPSDESK_TOKEN": "x", "OPSDESK_LOG_LEVEL": "loud"}, wantErr: "log level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lambdafwd.FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "odt_x") {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNewWithStaticToken(t *testing.T) {
	t.Parallel()
	h, err := lambdafwd.New(context.Background(), lambdafwd.Settings{URL: "https://h", Token: "odt_y", RequestTimeout: 4 * time.Second, MaxBody: 4096, MaxAttempts: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := h.Tokens.Token(context.Background(), true)
	if err != nil || tok != "odt_y" {
		t.Errorf("token %q, %v", tok, err)
	}
	if h.Client == nil || h.Client.Timeout != 4*time.Second || h.MaxBody != 4096 || h.MaxAttempts != 2 || h.URL != "https://h" {
		t.Errorf("handler %+v", h)
	}
}
