package dbcopy

import (
	"strings"

	"github.com/opsdesk/opsdesk/internal/search"
)

// rule is what the copy knows about one table beyond its columns. Most
// tables need none: their columns are copied by name and converted by the
// target column's type.
type rule struct {
	// skip says why the table is not copied ("" = copied).
	skip string
	// where filters the source rows (SQL on the SQLite side); label names
	// the filter in the count table.
	where, label string
	// grows: the copy itself may add rows to the target table after the
	// table is copied, so the target may hold more rows than the source.
	grows bool
	// fix adjusts a row (source column order) before it is written.
	fix func(cols []string, row []any)
	// derive computes target-only columns from the row; the values are
	// appended after the source columns.
	derive []derived
}

// derived is a target column the SQLite schema does not have, computed
// from the copied row.
type derived struct {
	col  string
	from string // source column it is computed from
	fn   func(v any) any
}

// finalStates are River's finished job states: such jobs are history, kept
// only for a day by opsdesk, and not worth carrying over.
const finalStates = `'completed', 'cancelled', 'discarded'`

// ruleFor returns the rule of a source table. Derived data (full-text
// indexes, their rebuild bookkeeping) is not copied but rebuilt on the
// target; River's own bookkeeping belongs to the target's River.
func ruleFor(table string) rule {
	switch table {
	case "goose_db_version":
		return rule{skip: "schema version: the target has its own"}
	case "river_migration":
		return rule{skip: "River schema version: the target has its own"}
	case "river_leader":
		return rule{skip: "River leader election: transient"}
	case "river_notification":
		return rule{skip: "River notification outbox: transient"}
	case "replicas":
		return rule{skip: "running processes: transient"}
	case "rate_limits":
		return rule{skip: "rate-limit buckets: transient, they start full"}
	case "search_rebuild":
		return rule{skip: "derived: the search index is rebuilt on the target"}
	// The database blob store's tables (internal/blob.DB): the source's
	// rows are copied like any table, then the attachments step may add
	// the files the source kept on disk.
	case "blobs", "blob_chunks", "blob_uploads":
		return rule{grows: true, label: "+ attachments"}
	case "river_job":
		return rule{
			where: "state NOT IN (" + finalStates + ")",
			label: "pending",
			// A job that was running when the snapshot was taken has no
			// worker on the target: hand it back, as opsdesk does with
			// jobs interrupted by a crash.
			fix: func(cols []string, row []any) {
				for i, c := range cols {
					if c == "state" && row[i] == "running" {
						row[i] = "available"
					}
				}
			},
		}
	// On PostgreSQL the subject and every message are also indexed alone
	// (phrase checks), in columns SQLite does not have; these mirror
	// cases.Store.indexSubject and indexComm. The case-level document
	// (cases.search_text) is rebuilt after the copy by cases.RebuildSearch.
	case "cases":
		return rule{derive: []derived{{col: "indexed", from: "subject", fn: indexText}}}
	case "case_communications":
		return rule{derive: []derived{{col: "indexed", from: "body", fn: indexText}}}
	}
	return rule{}
}

func indexText(v any) any {
	s, _ := v.(string)
	return search.IndexText(s)
}

// targetOwned are target tables whose rows do not make the target
// "non-empty": they are written by the migrations or by the copy itself.
func targetOwned(table string) bool {
	switch table {
	case "goose_db_version", "river_migration", "river_leader", progressTable:
		return true
	}
	return false
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
