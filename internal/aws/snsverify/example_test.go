package snsverify_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/opsdesk/opsdesk/internal/aws/snsverify"
)

// An HTTP handler for an SNS HTTPS subscription: parse, verify, then
// confirm a subscription or hand the verified body on. (Not run: it would
// fetch a real certificate.)
func ExampleVerifier() {
	v := &snsverify.Verifier{
		TopicAllowed: func(arn string) bool { return arn == "arn:aws:sns:ap-northeast-1:123456789012:opsdesk-events" },
	}
	http.HandleFunc("POST /events/sns", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		msg, err := snsverify.Parse(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch msg.Type {
		case snsverify.TypeSubscriptionConfirmation:
			arn, err := v.ConfirmSubscription(r.Context(), msg)
			if err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
			slog.Info("sns subscription confirmed", "subscription", arn)
		default:
			if err := v.Verify(r.Context(), msg); err != nil {
				status := http.StatusForbidden
				if errors.Is(err, snsverify.ErrCertificate) {
					status = http.StatusServiceUnavailable // SNS retries
				}
				http.Error(w, err.Error(), status)
				return
			}
			// body is now trusted: decode it with payload.Parse.
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
