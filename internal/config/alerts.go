package config

// Alerts configures its capability; see the field comments.
type Alerts struct{}

func (x *Alerts) setDefaults() {}

func (x *Alerts) validate(c *Config) error { return nil }
