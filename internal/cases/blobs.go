package cases

import (
	"context"
	"fmt"
)

// StoredFile is the content of one or more stored attachments: its
// SHA-256 (the blob key), and one of the attachments carrying it, to
// name in a report.
type StoredFile struct {
	SHA256   string
	Size     int64
	CaseID   string
	FileName string
	Count    int // attachments with this content
}

// EachStoredFile calls fn for every distinct content of a stored
// attachment, in SHA-256 order, a page at a time.
func (s *Store) EachStoredFile(ctx context.Context, fn func(StoredFile) error) error {
	after := ""
	for {
		page, err := s.storedFiles(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, f := range page {
			if err := fn(f); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		after = page[len(page)-1].SHA256
	}
}

func (s *Store) storedFiles(ctx context.Context, after string, limit int) ([]StoredFile, error) {
	rows, err := s.st.R.QueryContext(ctx, s.st.Q(`SELECT a.sha256, max(a.size), min(c.case_id), min(a.file_name), count(*)
		FROM case_attachments a JOIN cases c ON c.id = a.case_ref
		WHERE a.status = 'stored' AND a.sha256 > ?
		GROUP BY a.sha256 ORDER BY a.sha256 LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("cases: stored attachments: %w", err)
	}
	defer rows.Close()
	var out []StoredFile
	for rows.Next() {
		var f StoredFile
		if err := rows.Scan(&f.SHA256, &f.Size, &f.CaseID, &f.FileName, &f.Count); err != nil {
			return nil, fmt.Errorf("cases: stored attachments: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cases: stored attachments: %w", err)
	}
	return out, nil
}
