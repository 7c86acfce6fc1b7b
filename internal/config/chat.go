package config

// Chat configures its capability; see the field comments.
type Chat struct{}

func (x *Chat) setDefaults() {}

func (x *Chat) validate(c *Config) error { return nil }
