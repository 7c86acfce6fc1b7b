package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAttachments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml, want string
	}{
		{"data_dir: /srv/opsdesk\n", "local:/srv/opsdesk/attachments"},
		{"data_dir: /srv/opsdesk\nattachments: {store: local}\n", "local:/srv/opsdesk/attachments"},
		{"database: postgres://u@db.internal/opsdesk\n", "db"},
		{"database: postgres://u@db.internal/opsdesk\nattachments: {store: local:/mnt/shared/att}\n", "local:/mnt/shared/att"},
		{"attachments: {store: db}\n", "db"},
		{"attachments: {store: 's3://archive-bucket/opsdesk', s3_region: ap-northeast-1}\n", "s3://archive-bucket/opsdesk"},
	} {
		cfg, err := Parse([]byte(tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		if got := cfg.AttachmentsStore(); got != tc.want {
			t.Errorf("%s: store %q, want %q", tc.yaml, got, tc.want)
		}
	}
	for yaml, want := range map[string]string{
		"attachments: {store: nfs}\n":                                    "config: attachments.store: store \"nfs\": unknown kind of store",
		"attachments: {store: 's3://Bad_Bucket'}\n":                      `attachments.store: store "s3://Bad_Bucket": bucket "Bad_Bucket"`,
		"attachments: {store: 's3://bucket', s3_region: Tokyo}\n":        `attachments.s3_region: "Tokyo" is not an AWS region name`,
		"attachments: {store: 's3://bucket', s3_region: ap-northeast}\n": `attachments.s3_region: "ap-northeast"`,
	} {
		_, err := Parse([]byte(yaml))
		var ce *Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", yaml, err, want)
		}
	}
}
