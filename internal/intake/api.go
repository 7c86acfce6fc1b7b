package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/opsdesk/opsdesk/internal/httpx"
	"github.com/opsdesk/opsdesk/internal/ratelimit"
)

// MaxBody is the largest request body the question API reads.
const MaxBody = 64 << 10

// Limiter bounds the questions one client address may submit
// (ratelimit.Limiter: fleet-wide on PostgreSQL).
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// API serves POST /api/v1/questions.
type API struct {
	Svc *Service
	// Limiter is asked once per request, keyed by the client's address
	// (ratelimit.AddrKey: an IPv6 client's /64); nil: no limit.
	Limiter Limiter
	Trusted func(netip.Addr) bool
}

// Response is the body of a 202.
type Response struct {
	ID string `json:"id"`
}

// ServeHTTP accepts one question as JSON or as a form.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := httpx.ClientIP(r, a.Trusted)
	if a.Limiter != nil {
		ok, wait, err := a.Limiter.Allow(r.Context(), ratelimit.AddrKey(ip))
		if err != nil {
			httpx.Error(w, http.StatusServiceUnavailable, "the request was cancelled", "")
			return
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			httpx.Error(w, http.StatusTooManyRequests, "too many questions from this address; try again later", "")
			return
		}
	}
	in, field, err := DecodeInput(w, r)
	if err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			status = http.StatusRequestEntityTooLarge
		case errors.Is(err, errUnsupportedType):
			status = http.StatusUnsupportedMediaType
		}
		body := httpx.ErrorBody{Error: err.Error(), Field: field}
		var fe *FieldError
		if errors.As(err, &fe) {
			body.Code = fe.Code
		}
		httpx.WriteJSON(w, status, body)
		return
	}
	q, err := a.Svc.Submit(r.Context(), in, Meta{SourceIP: ip, UserAgent: r.UserAgent(), Lang: r.Header.Get("Accept-Language")})
	var fe *FieldError
	switch {
	case err == nil:
		httpx.WriteJSON(w, http.StatusAccepted, Response{ID: q.Ref})
	case errors.Is(err, ErrHoneypot):
		// Tell bots it worked; store nothing.
		httpx.WriteJSON(w, http.StatusAccepted, Response{ID: NewRef()})
	case errors.As(err, &fe):
		httpx.WriteJSON(w, http.StatusBadRequest, httpx.ErrorBody{Error: fe.Error(), Field: fe.Field, Code: fe.Code})
	case errors.Is(err, ErrStopped):
		w.Header().Set("Retry-After", "5")
		httpx.Error(w, http.StatusServiceUnavailable, "opsdesk is restarting; try again in a few seconds", "")
	default:
		httpx.Error(w, http.StatusServiceUnavailable, "the question could not be stored; try again", "")
	}
}

var errUnsupportedType = errors.New("Content-Type must be application/json, application/x-www-form-urlencoded or multipart/form-data")

// DecodeInput reads a question from a JSON or form body. On error it returns
// the name of the offending field ("" when the body as a whole is wrong).
func DecodeInput(w http.ResponseWriter, r *http.Request) (Input, string, error) {
	var in Input
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return in, "", errUnsupportedType
	}
	switch ct {
	case "application/json", "":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return in, "", bodyError(err)
		}
		field, err := decodeJSON(body, &in)
		return in, field, err
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if ct == "multipart/form-data" {
			err = r.ParseMultipartForm(MaxBody)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return in, "", bodyError(err)
		}
		in.Project = r.PostFormValue("project")
		in.Name = r.PostFormValue("name")
		in.Question = r.PostFormValue("question")
		in.Website = r.PostFormValue("website")
		return in, "", nil
	default:
		return in, "", errUnsupportedType
	}
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("request body is larger than %d bytes: %w", MaxBody, err)
	}
	return fmt.Errorf("reading request body: %w", err)
}

// decodeJSON decodes a question object, naming the field that is wrong.
// encoding/json silently replaces invalid UTF-8 with U+FFFD, so each raw
// value is checked before decoding.
func decodeJSON(body []byte, in *Input) (string, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return "", fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, err)
		}
		if errors.Is(err, io.EOF) {
			return "", errors.New("empty body: send a JSON object with a \"question\" field")
		}
		return "", fmt.Errorf("malformed JSON: expected an object: %v", err)
	}
	if dec.More() {
		return "", errors.New("malformed JSON: more than one value in the body")
	}
	if raw == nil {
		return "", errors.New("malformed JSON: expected an object, got null")
	}
	fields := map[string]*string{"project": &in.Project, "name": &in.Name, "question": &in.Question, "website": &in.Website}
	for k, v := range raw {
		dst, ok := fields[k]
		if !ok {
			return k, &FieldError{Field: k, Code: CodeUnknownField, Msg: "is not a known field (accepted: project, name, question)"}
		}
		if !utf8.Valid(v) {
			return k, &FieldError{Field: k, Code: CodeInvalidUTF8, Msg: "is not valid UTF-8"}
		}
		if string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return k, &FieldError{Field: k, Code: CodeNotString, Msg: "must be a string"}
		}
	}
	return "", nil
}
