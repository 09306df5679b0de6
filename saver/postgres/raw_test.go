package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/savertest"
)

// What a delete, prune or rollback drops is gone from every table's rows,
// snapshots and blobs included.
func TestDeletedCheckpointsLeaveNoRawBytes(t *testing.T) {
	t.Parallel()
	savertest.RunRawDeletion(t, func(t *testing.T) (saver.Saver, savertest.RawRows) {
		schema := pgtest.Schema(t)
		s := onSchema(t, pgtest.Pool(t), schema, postgres.Config{Store: eventstore.Options{MinSnapshotBytes: 1}})
		return s, func(t *testing.T) [][]byte { return rawRows(t, s.Pool(), schema) }
	})
}

// rawRows returns every column of every row of every table in schema, as
// the server sends it (bytea in binary: the stored bytes).
func rawRows(t *testing.T, pool *pgxpool.Pool, schema string) [][]byte {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 4 {
		t.Fatalf("tables %q: want events, threads, snapshots and blobs at least", tables)
	}
	var out [][]byte
	for _, table := range tables {
		rows, err := pool.Query(t.Context(), `SELECT * FROM `+pgx.Identifier{schema, table}.Sanitize())
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for rows.Next() {
			for _, v := range rows.RawValues() {
				out = append(out, append([]byte(nil), v...))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
	}
	return out
}
