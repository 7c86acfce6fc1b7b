// Package chatops lets a DingTalk group and a Slack channel work with AWS
// Support cases: look up service codes, create, show, reply to, resolve and
// search cases, and acknowledge alerts, by typing commands to a robot.
//
// The flow is opsdesk's usual one. A handler (DingTalkHandler for the
// enterprise internal robot's outgoing callback, SlackHandler for a slash
// command) checks the request's signature and that it was never used
// before (chat_nonces, shared by every replica), queues the message as a
// job and answers at once. The job (Service) parses the message with the
// command package, checks the sender against the allow lists, runs the
// command against the Support API of the chat account and the case
// archive, audits it (chat_audit) and queues the reply in the same
// transaction. The Outbox sends replies and case updates in order, within
// DingTalk's 20 messages a minute per robot, and retries; nothing is
// dropped. The Updater announces new AWS replies, resolutions and
// reopenings of cases created from chat (and, for configured destinations,
// of every case) exactly once, whichever way the archive learned of them.
//
// Calls to AWS that change something (CreateCase, AddCommunicationToCase,
// ResolveCase) are recorded before and after in the command's audit row,
// so a job that is run again never repeats one.
package chatops
