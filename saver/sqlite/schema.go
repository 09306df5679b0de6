package sqlite

import (
	"context"
	"fmt"
)

// schema is the saver's storage. Events are never updated, only appended and,
// after a seed or tombstone, dropped from the front of a thread. The primary
// key makes a second event at the same sequence impossible. Snapshots hold
// one row per thread, replaced. Blobs are values kept out of line, keyed by
// the hex SHA-256 of their bytes within a thread, never updated.
const schema = `
CREATE TABLE IF NOT EXISTS jetgraph_events (
	thread  TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	payload BLOB    NOT NULL,
	PRIMARY KEY (thread, seq)
);
CREATE TABLE IF NOT EXISTS jetgraph_snapshots (
	thread   TEXT    NOT NULL PRIMARY KEY,
	seq      INTEGER NOT NULL,
	snapshot BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS jetgraph_blobs (
	thread TEXT NOT NULL,
	key    TEXT NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (thread, key)
);
`

func (l *Log) setup(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create tables: %w", mapErr(err))
	}
	return nil
}
