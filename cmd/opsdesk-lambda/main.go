// Command opsdesk-lambda is an AWS Lambda function (runtime provided.al2023,
// binary "bootstrap") that forwards the events of its triggers — S3, DynamoDB
// Streams, SQS, SNS, EventBridge — to an opsdesk server. See docs/lambda.md;
// the logic is in internal/lambdafwd.
//
// Build: GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/opsdesk-lambda
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/opsdesk/opsdesk/internal/lambdafwd"
)

func main() {
	s, err := lambdafwd.FromEnv(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: s.LogLevel})).With("component", "opsdesk-lambda")
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	h, err := lambdafwd.New(context.Background(), s, log)
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Invoke)
}
