package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/savertest"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// What a delete, prune or rollback drops is gone from every table's rows,
// snapshots and blobs included.
func TestDeletedCheckpointsLeaveNoRawBytes(t *testing.T) {
	t.Parallel()
	savertest.RunRawDeletion(t, func(t *testing.T) (saver.Saver, savertest.RawRows) {
		db := open(t, filepath.Join(t.TempDir(), "raw.db")).DB()
		s := sqlite.New(db, sqlite.Config{Store: eventstore.Options{MinSnapshotBytes: 1}})
		return s, func(t *testing.T) [][]byte { return rawRows(t, db) }
	})
}

// rawRows returns every column of every row of every table in db.
func rawRows(t *testing.T, db *sql.DB) [][]byte {
	t.Helper()
	var tables []string
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(tables) < 3 {
		t.Fatalf("tables %q: want events, snapshots and blobs at least", tables)
	}
	var out [][]byte
	for _, table := range tables {
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for _, v := range vals {
				out = append(out, append([]byte(nil), v...))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		rows.Close()
	}
	return out
}
