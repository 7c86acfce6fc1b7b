// Package dsn reads the database setting. It is a leaf package so that both
// config (which validates the setting) and store (which opens it) can use it
// without store importing config: domain packages that config parses into
// (oncall) also keep their tables through store.
package dsn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Parse splits a database setting into engine ("sqlite" or "postgres") and
// the driver's data source.
func Parse(s string) (engine, dsn string, err error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", "", errors.New("sqlite: needs a path, e.g. sqlite:./data/opsdesk.db")
		}
		return "sqlite", p, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			return "", "", errors.New("postgres URL does not parse")
		}
		return "postgres", s, nil
	default:
		v := s
		if len(v) > 20 {
			v = v[:20] + "…"
		}
		return "", "", fmt.Errorf("must start with sqlite: or postgres:// (got %q)", v)
	}
}
