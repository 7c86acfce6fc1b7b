// Package sqsin consumes Amazon SQS queues (aws.queues): the outbound-only
// intake of AWS events and CloudWatch alarms. A desk with no inbound port
// long-polls its queues, commits each message through the same paths as
// POST /api/v1/events and /api/v1/alerts/cloudwatch, and then deletes it.
//
// SQS delivers at least once, to any of several replicas, so a message is
// claimed in the database before it is committed and marked done after:
// whoever receives it again (another replica once the visibility timeout
// ran out, this one after a crash between the commit and the delete)
// finds it done and only deletes it. Messages opsdesk cannot use become
// dead letters that the console shows with their body and error.
package sqsin
