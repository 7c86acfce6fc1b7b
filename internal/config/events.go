package config

// Events configures AWS event intake and rules.
type Events struct{}

func (x *Events) setDefaults() {}

func (x *Events) validate(c *Config) error { return nil }
