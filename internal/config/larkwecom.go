package config

// Per-minute message limits of the Chinese group robots, for senders that
// pace themselves (the chat-ops outbox) instead of waiting to be refused.
const (
	// LarkMaxPerMinute is a Lark / Feishu custom bot's limit (it also
	// takes at most 5 a second).
	LarkMaxPerMinute = 100
	// WeComMaxPerMinute is a WeCom group robot's limit.
	WeComMaxPerMinute = 20
)
