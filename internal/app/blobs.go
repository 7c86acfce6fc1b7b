package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/opsdesk/opsdesk/internal/blob"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Blobs opens the store of the case archive's attachment contents,
// attachments.store (see internal/blob): data_dir/attachments by default
// on SQLite, the database on PostgreSQL, or an S3 bucket. Nothing is read
// or written yet.
//
// An install on PostgreSQL from before the database store kept its files
// in data_dir/attachments; if that directory still holds some while the
// default db store is in effect, they are still read from there (by this
// replica) and the log says how to move them.
func Blobs(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (blob.Store, error) {
	spec := cfg.AttachmentsStore()
	s, err := blob.Open(ctx, spec, blob.Options{
		W: st.W, R: st.R, Engine: st.Engine,
		S3: blob.S3Options{Region: cfg.Attachments.S3Region},
	})
	if err != nil {
		return nil, fmt.Errorf("attachments store (attachments.store %q): %w", spec, err)
	}
	if cfg.Attachments.Store == "" && spec == blob.KindDB {
		dir := filepath.Join(cfg.DataDir, "attachments")
		if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
			if log != nil {
				log.Warn("attachments: the database is the attachment store now, but "+dir+" still holds files from before; "+
					"this replica serves them until they are copied with: opsdesk attachments move --from local --to db", "dir", dir)
			}
			// Until then, what only the old directory holds is still
			// served (by the replica that has the directory).
			return &blob.Fallback{Primary: s, Old: blob.NewLocal(dir)}, nil
		}
	}
	return s, nil
}
