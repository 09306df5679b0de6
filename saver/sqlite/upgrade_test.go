package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// A database made by an earlier release (events and snapshots only) gets
// the blobs table when it is opened, and its checkpoints stay readable.
func TestOpeningADatabaseOfAnEarlierReleaseAddsBlobs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "old.db")
	old := setup(t)
	cfg := put(t, old, "t", "", loop(0), "before the upgrade")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// the earlier release's schema, holding the event the saver above wrote
	_, err = db.ExecContext(t.Context(), `
		CREATE TABLE jetgraph_events (thread TEXT NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (thread, seq));
		CREATE TABLE jetgraph_snapshots (thread TEXT NOT NULL PRIMARY KEY, seq INTEGER NOT NULL, snapshot BLOB NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := old.DB().QueryContext(t.Context(), `SELECT thread, seq, payload FROM jetgraph_events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var thread string
		var seq int64
		var payload []byte
		if err := rows.Scan(&thread, &seq, &payload); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), `INSERT INTO jetgraph_events VALUES (?, ?, ?)`, thread, seq, payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, path)
	tu, err := s.GetTuple(t.Context(), cfg)
	if err != nil || string(tu.Checkpoint.ChannelValues["v"]) != "before the upgrade" {
		t.Fatalf("checkpoint of the earlier release: %v", err)
	}
	bs := s.Store.Log().(eventstore.BlobStore)
	if err := bs.PutBlob(t.Context(), "t", "k", []byte("x")); err != nil {
		t.Fatalf("put blob after the upgrade: %v", err)
	}
	put(t, s, "t", cfg.CheckpointID, loop(1), "after the upgrade")
	if _, err := s.GetTuple(t.Context(), saver.Config{ThreadID: "t"}); err != nil {
		t.Fatal(err)
	}
}
