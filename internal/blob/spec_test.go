package blob_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsdesk/opsdesk/internal/blob"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want blob.Spec
		str  string
	}{
		{"local", blob.Spec{Kind: blob.KindLocal}, "local"},
		{"local:/var/lib/opsdesk/attachments/", blob.Spec{Kind: blob.KindLocal, Dir: "/var/lib/opsdesk/attachments"}, "local:/var/lib/opsdesk/attachments"},
		{"local:./data/att", blob.Spec{Kind: blob.KindLocal, Dir: "data/att"}, "local:data/att"},
		{"db", blob.Spec{Kind: blob.KindDB}, "db"},
		{"s3://my-bucket", blob.Spec{Kind: blob.KindS3, Bucket: "my-bucket"}, "s3://my-bucket"},
		{"s3://my-bucket/", blob.Spec{Kind: blob.KindS3, Bucket: "my-bucket"}, "s3://my-bucket"},
		{"s3://my.bucket.example/opsdesk/attachments/", blob.Spec{Kind: blob.KindS3, Bucket: "my.bucket.example", Prefix: "opsdesk/attachments"}, "s3://my.bucket.example/opsdesk/attachments"},
		{"s3://b12/添付 ファイル", blob.Spec{Kind: blob.KindS3, Bucket: "b12", Prefix: "添付 ファイル"}, "s3://b12/添付 ファイル"},
	} {
		got, err := blob.ParseSpec(tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseSpec(%q) = %+v (%q), %v; want %+v (%q)", tc.in, got, got.String(), err, tc.want, tc.str)
		}
	}
	for in, want := range map[string]string{
		"":                      "is empty; want local, local:DIR, db or s3://BUCKET/PREFIX",
		" db":                   "spaces around it",
		"database":              "unknown kind of store",
		"file:/x":               "unknown kind of store",
		"local:":                "local: needs a directory",
		"db:postgres":           "db takes no argument",
		"S3://bucket":           "written s3://BUCKET/PREFIX",
		"s3:bucket":             "written s3://BUCKET/PREFIX",
		"s3://":                 `bucket "": missing`,
		"s3:///prefix":          `bucket "": missing`,
		"s3://My_Bucket/x":      `bucket "My_Bucket": may hold only lowercase letters, digits, dots and hyphens`,
		"s3://ab":               `bucket "ab": must be 3 to 63 characters long`,
		"s3://-bucket":          `bucket "-bucket": must begin and end with a letter or digit`,
		"s3://a..b":             `bucket "a..b": must not contain two dots`,
		"s3://192.168.0.1":      `bucket "192.168.0.1": must not look like an IP address`,
		"s3://bucket//x":        `prefix "/x": empty path segment`,
		"s3://bucket/a/../b":    `prefix "a/../b": ".." is not allowed`,
		"s3://bucket/a\\b":      "a backslash is not allowed",
		"s3://bucket/x?region=": `"?region=": an S3 location takes no query`,
		"local:/tmp/\x00":       "control characters",
	} {
		_, err := blob.ParseSpec(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "blob: store ") {
			t.Errorf("ParseSpec(%q): %v; want an error with %q", in, err, want)
		}
	}
}

func TestOpenSpec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := blob.Open(ctx, "local", blob.Options{LocalDir: dir})
	if err != nil || s.String() != "local:"+dir {
		t.Errorf("Open(local): %v %v", s, err)
	}
	if _, err := blob.Open(ctx, "local", blob.Options{}); err == nil || !strings.Contains(err.Error(), "local:DIR") {
		t.Errorf("Open(local) without a directory: %v", err)
	}
	if _, err := blob.Open(ctx, "db", blob.Options{}); err == nil || !strings.Contains(err.Error(), "needs the database") {
		t.Errorf("Open(db) without a database: %v", err)
	}
	if _, err := blob.Open(ctx, "s3://x", blob.Options{}); err == nil || !strings.Contains(err.Error(), `bucket "x"`) {
		t.Errorf("Open of a bad spec: %v", err)
	}
}

// FuzzParseSpec: any input is either refused with a message naming the
// store, or parsed into a spec whose canonical text parses back to it.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"local", "local:/x/y/", "db", "s3://bucket", "s3://b.c-d/p/q/", "s3://bucket//", "S3://x", "local:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sp, err := blob.ParseSpec(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "blob: store ") {
				t.Fatalf("error %q does not name the store", err)
			}
			return
		}
		switch sp.Kind {
		case blob.KindLocal, blob.KindDB, blob.KindS3:
		default:
			t.Fatalf("kind %q", sp.Kind)
		}
		again, err := blob.ParseSpec(sp.String())
		if err != nil || again != sp {
			t.Fatalf("%q → %+v → %q → %+v, %v", in, sp, sp.String(), again, err)
		}
		if sp.Kind == blob.KindS3 && (strings.HasPrefix(sp.Prefix, "/") || strings.HasSuffix(sp.Prefix, "/") || strings.Contains(sp.Prefix, "//")) {
			t.Fatalf("prefix %q", sp.Prefix)
		}
	})
}
