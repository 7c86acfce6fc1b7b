// Package support is a small hand-written client for the AWS Support API
// (service "support", API version 2013-04-15).
//
// The SDK's service/support module is not available to this project, so the
// client speaks the wire protocol itself: AWS JSON 1.1 (POST / with
// Content-Type application/x-amz-json-1.1 and
// X-Amz-Target: AWSSupport_20130415.<Operation>), signed with SigV4 from the
// SDK's aws/signer/v4 package, retried with the SDK's aws/retry retryers.
// Credentials come from any aws.CredentialsProvider — in production the one
// config.LoadDefaultConfig resolves (see NewFromConfig).
//
// Request and response structs mirror the AWS Support API reference field by
// field (JSON names included), so a reader of the AWS documentation finds the
// same names here. Times are the API's ISO-8601 strings; FormatTime and
// ParseTime convert them.
//
// Errors: every failed call returns an error that unwraps to *APIError when
// the service answered with an error document. An account without a
// Business, Enterprise On-Ramp or Enterprise Support plan gets
// SubscriptionRequiredException, which this package reports with a plain
// explanation and which matches errors.Is(err, ErrSubscriptionRequired).
//
// The endpoint follows the account's partition (aws → support.us-east-1,
// aws-cn → support.cn-north-1, aws-us-gov → support.us-gov-west-1) and can be
// overridden with AWS_ENDPOINT_URL_SUPPORT or AWS_ENDPOINT_URL, so an
// emulator such as internal/fake's Support API can stand in for AWS.
package support
