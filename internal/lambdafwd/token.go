package lambdafwd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TokenSource gives the opsdesk integration token.
type TokenSource interface {
	// Token returns the token. refresh asks for a fresh value, bypassing
	// any cache, after opsdesk refused the one it had.
	Token(ctx context.Context, refresh bool) (string, error)
}

// StaticToken is a token from the environment (OPSDESK_TOKEN); a refresh
// returns the same value.
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context, bool) (string, error) {
	if t == "" {
		return "", errNoToken
	}
	return string(t), nil
}

// SecretGetter is the part of the Secrets Manager client SecretToken uses.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretToken reads the token from a Secrets Manager secret and keeps it
// for the life of the container (the Handler lives as long), reading it
// again only when asked to refresh — after opsdesk refused it, e.g. because
// the secret was rotated.
//
// The secret's string is the token itself, or a JSON object with the token
// under "token".
type SecretToken struct {
	Client SecretGetter
	// SecretID is the secret's ARN (or name).
	SecretID string

	mu     sync.Mutex
	cached string
}

// NewSecretToken reads the secret with a Secrets Manager client built from
// cfg (the SDK's default configuration in Lambda).
func NewSecretToken(cfg aws.Config, secretID string) *SecretToken {
	return &SecretToken{Client: secretsmanager.NewFromConfig(cfg), SecretID: secretID}
}

// Token returns the cached token, reading the secret the first time and on
// refresh.
func (s *SecretToken) Token(ctx context.Context, refresh bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != "" && !refresh {
		return s.cached, nil
	}
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.SecretID)})
	if err != nil {
		return "", fmt.Errorf("secretsmanager: get %s: %w", s.SecretID, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secretsmanager: %s has no SecretString (binary secrets are not supported)", s.SecretID)
	}
	tok, err := tokenFromSecret(*out.SecretString)
	if err != nil {
		return "", fmt.Errorf("secretsmanager: %s: %w", s.SecretID, err)
	}
	s.cached = tok
	return tok, nil
}

// tokenFromSecret takes the token out of a secret string: the string
// itself, or the "token" of a JSON object.
func tokenFromSecret(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "{") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			return "", errors.New("the secret looks like JSON but is not valid JSON")
		}
		tok, _ := obj["token"].(string)
		if tok = strings.TrimSpace(tok); tok == "" {
			return "", errors.New(`the secret is a JSON object without a "token" string`)
		}
		return tok, nil
	}
	if v == "" {
		return "", errors.New("the secret is empty")
	}
	return v, nil
}
