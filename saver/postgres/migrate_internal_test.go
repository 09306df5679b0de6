package postgres

import (
	"bytes"
	"testing"

	"github.com/jetgraph/jetgraph/internal/pgtest"
)

// A schema set up by an earlier release (migration 0001 only) gets the
// blobs table from Setup, and its events stay readable.
func TestSetupUpgradesASchemaOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].version != 1 || ms[1].version != 2 {
		t.Fatalf("migrations %v: want 0001 and 0002 first", ms)
	}
	pool, schema := pgtest.Pool(t), pgtest.Schema(t)
	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), tx, schema, ms[:1]); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	s, err := New(pool, Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := s.log.Append(t.Context(), "t", 0, []byte("before the upgrade"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.log.PutBlob(t.Context(), "t", "k", []byte("x")); err == nil {
		t.Fatal("put blob before the upgrade: no error, want one (no table yet)")
	}
	if err := s.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.log.PutBlob(t.Context(), "t", "k", []byte("x")); err != nil {
		t.Fatalf("put blob after the upgrade: %v", err)
	}
	if b, err := s.log.GetBlob(t.Context(), "t", "k"); err != nil || !bytes.Equal(b, []byte("x")) {
		t.Fatalf("blob after the upgrade: %q, %v", b, err)
	}
	for ev, err := range s.log.Read(t.Context(), "t", 0) {
		if err != nil || ev.Seq != seq || string(ev.Payload) != "before the upgrade" {
			t.Fatalf("event after the upgrade: %+v, %v", ev, err)
		}
	}
	var versions []int
	rows, err := pool.Query(t.Context(), `SELECT version FROM `+table(schema, "jetgraph_migrations")+` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if len(versions) != len(ms) || versions[len(versions)-1] != ms[len(ms)-1].version {
		t.Fatalf("applied migrations %v, want every one of %d", versions, len(ms))
	}
}
