package blob

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Store kinds.
const (
	KindLocal = "local"
	KindDB    = "db"
	KindS3    = "s3"
)

// specHelp lists the accepted forms, for error messages.
const specHelp = "want local, local:DIR, db or s3://BUCKET/PREFIX"

// Spec is a parsed store spec.
type Spec struct {
	Kind string // KindLocal, KindDB or KindS3
	// Dir is the local directory; "" for a bare "local" (the default
	// directory, data_dir/attachments).
	Dir string
	// Bucket and Prefix name the S3 location; Prefix has no leading or
	// trailing slash and may be empty.
	Bucket string
	Prefix string
}

// String is the spec's canonical text; ParseSpec(s.String()) == s.
func (s Spec) String() string {
	switch s.Kind {
	case KindLocal:
		if s.Dir == "" {
			return "local"
		}
		return "local:" + s.Dir
	case KindS3:
		if s.Prefix == "" {
			return "s3://" + s.Bucket
		}
		return "s3://" + s.Bucket + "/" + s.Prefix
	}
	return s.Kind
}

// ParseSpec parses where blobs live: "local" (the default directory),
// "local:DIR", "db", or "s3://BUCKET" / "s3://BUCKET/PREFIX". An error
// names the part that is wrong.
func ParseSpec(spec string) (Spec, error) {
	bad := func(format string, args ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("blob: store %q: %s", shorten(spec), fmt.Sprintf(format, args...))
	}
	if spec == "" {
		return bad("is empty; " + specHelp)
	}
	if !utf8.ValidString(spec) || strings.ContainsFunc(spec, isControl) {
		return bad("contains control characters or invalid UTF-8")
	}
	if strings.TrimSpace(spec) != spec {
		return bad("has spaces around it")
	}
	scheme, rest, hasColon := strings.Cut(spec, ":")
	switch {
	case spec == KindLocal:
		return Spec{Kind: KindLocal}, nil
	case spec == KindDB:
		return Spec{Kind: KindDB}, nil
	case hasColon && scheme == KindLocal:
		if rest == "" {
			return bad("local: needs a directory, e.g. local:/var/lib/opsdesk/attachments")
		}
		dir := filepath.Clean(rest)
		if strings.TrimSpace(dir) != dir {
			return bad("directory %q begins or ends with a space", dir)
		}
		return Spec{Kind: KindLocal, Dir: dir}, nil
	case hasColon && scheme == KindDB:
		return bad("db takes no argument (the store is opsdesk's own database)")
	case hasColon && strings.EqualFold(scheme, KindS3):
		return parseS3(spec, rest, bad)
	}
	return bad("unknown kind of store; " + specHelp)
}

func parseS3(spec, rest string, bad func(string, ...any) (Spec, error)) (Spec, error) {
	if !strings.HasPrefix(spec, "s3://") {
		return bad("an S3 location is written s3://BUCKET/PREFIX")
	}
	rest = strings.TrimPrefix(rest, "//")
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		return bad("%q: an S3 location takes no query or fragment (the region is attachments.s3_region)", rest[i:])
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return bad("bucket %q: %v", bucket, err)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		if len(prefix) > 900 {
			return bad("prefix is %d bytes long; at most 900 leave room for the object names", len(prefix))
		}
		if strings.TrimSpace(prefix) != prefix {
			return bad("prefix %q begins or ends with a space", prefix)
		}
		if strings.ContainsAny(prefix, `\`) {
			return bad("prefix %q: a backslash is not allowed", prefix)
		}
		for _, seg := range strings.Split(prefix, "/") {
			switch seg {
			case "":
				return bad("prefix %q: empty path segment (// or a leading /)", prefix)
			case ".", "..":
				return bad("prefix %q: %q is not allowed as a path segment", prefix, seg)
			}
		}
	}
	return Spec{Kind: KindS3, Bucket: bucket, Prefix: prefix}, nil
}

// checkBucket applies S3's rules for general purpose bucket names.
func checkBucket(b string) error {
	switch {
	case b == "":
		return errors.New("missing (s3://BUCKET/PREFIX)")
	case len(b) < 3 || len(b) > 63:
		return errors.New("must be 3 to 63 characters long")
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			return errors.New("may hold only lowercase letters, digits, dots and hyphens")
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return errors.New("must begin and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		return errors.New("must not contain two dots in a row")
	}
	if looksLikeIPv4(b) {
		return errors.New("must not look like an IP address")
	}
	return nil
}

func isAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

func looksLikeIPv4(b string) bool {
	parts := strings.Split(b, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func shorten(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}

// Options are what Open needs besides the spec.
type Options struct {
	// LocalDir is the directory of a bare "local" spec (opsdesk passes
	// data_dir/attachments).
	LocalDir string
	// W and R are the database pools for "db" (see NewDB), Engine
	// "sqlite" or "postgres".
	W, R   *sql.DB
	Engine string
	// S3 configures "s3://" stores; Open fills in Bucket and Prefix.
	S3 S3Options
}

// Open builds the store a spec names (see ParseSpec).
func Open(ctx context.Context, spec string, o Options) (Store, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	switch sp.Kind {
	case KindLocal:
		dir := sp.Dir
		if dir == "" {
			dir = o.LocalDir
		}
		if dir == "" {
			return nil, fmt.Errorf("blob: store %q: no directory (write local:DIR)", spec)
		}
		return NewLocal(dir), nil
	case KindDB:
		return NewDB(o.W, o.R, o.Engine)
	default:
		so := o.S3
		so.Bucket, so.Prefix = sp.Bucket, sp.Prefix
		return NewS3(ctx, so)
	}
}
