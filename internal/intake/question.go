// Package intake accepts questions from the public form and API, commits
// them together with one pending delivery per routed destination, and hands
// the deliveries to the job queue.
package intake

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Question is a stored question.
type Question struct {
	ID          int64
	Ref         string
	Project     string
	Name        string
	Text        string
	SubmittedAt time.Time
	SourceIP    string
	UserAgent   string
	Lang        string
	// State is StateOpen, StateAnswered or StateClosed; StateAt and StateBy
	// say when and by whom it was last changed (zero and "" while open
	// from the start).
	State    string
	Assignee string
	StateAt  time.Time
	StateBy  string
}

// Input is what a submitter sends.
type Input struct {
	Project  string `json:"project"`
	Name     string `json:"name"`
	Question string `json:"question"`
	// Website is the honeypot field: people never see it, bots fill it.
	Website string `json:"website"`
}

// FieldError is a validation error naming the field. Code is stable for
// programs (and the localized form); Msg is the English sentence.
type FieldError struct {
	Field string
	Code  string // one of the Code* constants
	Msg   string
	// Length and Limit are set for CodeTooLong (characters).
	Length, Limit int
}

// Validation error codes.
const (
	CodeRequired     = "required"
	CodeTooLong      = "too_long"
	CodeInvalidUTF8  = "invalid_utf8"
	CodeControlChars = "control_chars"
	CodeUnknownField = "unknown_field"
	CodeNotString    = "not_string"
)

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ErrHoneypot marks a submission that filled the hidden field.
var ErrHoneypot = errors.New("intake: honeypot field filled")

// Limits on field lengths, in characters.
const (
	MaxProject = 100
	MaxName    = 200
)

// Normalize trims fields and validates them. maxChars bounds the question.
func (in *Input) Normalize(maxChars int) error {
	if in.Website != "" {
		return ErrHoneypot
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
		line bool
	}{
		{"project", &in.Project, MaxProject, true},
		{"name", &in.Name, MaxName, true},
		{"question", &in.Question, maxChars, false},
	} {
		if !utf8.ValidString(*f.v) {
			return &FieldError{Field: f.name, Code: CodeInvalidUTF8, Msg: "is not valid UTF-8"}
		}
		s := strings.ReplaceAll(*f.v, "\r\n", "\n")
		s = strings.TrimSpace(s)
		if strings.ContainsFunc(s, func(r rune) bool {
			return r == 0 || (unicode.IsControl(r) && (f.line || (r != '\n' && r != '\t')))
		}) {
			return &FieldError{Field: f.name, Code: CodeControlChars, Msg: "contains control characters"}
		}
		if n := utf8.RuneCountInString(s); n > f.max {
			return &FieldError{Field: f.name, Code: CodeTooLong, Msg: fmt.Sprintf("is %d characters long; the limit is %d", n, f.max), Length: n, Limit: f.max}
		}
		*f.v = s
	}
	if in.Question == "" {
		return &FieldError{Field: "question", Code: CodeRequired, Msg: "is required"}
	}
	return nil
}

// refAlphabet is Crockford's base32 without easily confused letters.
const refAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewRef returns a random public reference such as "Q-7K3M9X2A".
func NewRef() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("intake: crypto/rand failed: " + err.Error())
	}
	out := []byte("Q-")
	for _, c := range b {
		out = append(out, refAlphabet[int(c)%len(refAlphabet)])
	}
	return string(out)
}

// ValidRef reports whether s has the shape of a reference.
func ValidRef(s string) bool {
	if len(s) != 10 || !strings.HasPrefix(s, "Q-") {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !strings.ContainsRune(refAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}
