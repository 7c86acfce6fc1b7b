package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opsdesk/opsdesk/internal/blob"
)

// Attachments configures where the Support case archive keeps attachment
// contents (internal/blob). Several replicas on one PostgreSQL database
// must share the store: "db" or S3, never a replica's own disk.
type Attachments struct {
	// Store is "local" (data_dir/attachments), "local:DIR", "db" (the
	// database itself) or "s3://BUCKET/PREFIX". Empty: "local" with
	// SQLite, "db" with PostgreSQL. Change it with opsdesk attachments
	// move, which copies the archive first.
	Store string `yaml:"store"`
	// S3Region is the bucket's region for an s3:// store (default: the
	// SDK's, from AWS_REGION or the profile).
	S3Region string `yaml:"s3_region"`
}

func (a Attachments) validate() error {
	if a.Store != "" {
		if _, err := blob.ParseSpec(a.Store); err != nil {
			return &Error{"attachments.store", strings.TrimPrefix(err.Error(), "blob: ")}
		}
	}
	if a.S3Region != "" && !isRegion(a.S3Region) {
		return &Error{"attachments.s3_region", fmt.Sprintf("%q is not an AWS region name (e.g. ap-northeast-1)", a.S3Region)}
	}
	return nil
}

// isRegion accepts region-shaped names: lowercase words and a number
// joined by hyphens (ap-northeast-1, us-gov-west-1, cn-north-1).
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(s) > 32 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range p {
			digit := c >= '0' && c <= '9'
			if !(c >= 'a' && c <= 'z') && !(digit && i == len(parts)-1) {
				return false
			}
		}
	}
	return true
}

// AttachmentsStore is the blob store spec in effect: attachments.store,
// or the engine's default, with a bare "local" spelled out as
// local:DATA_DIR/attachments.
func (c *Config) AttachmentsStore() string {
	s := c.Attachments.Store
	if s == "" {
		s = "local"
		if engine, _, err := ParseDatabase(c.Database); err == nil && engine == "postgres" {
			s = "db"
		}
	}
	if s == "local" {
		return "local:" + filepath.Join(c.DataDir, "attachments")
	}
	return s
}
