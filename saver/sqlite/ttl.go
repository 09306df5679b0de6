package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"

	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// retentionSchema keeps, for eventstore.Retention, when each thread was
// last appended to: one row per thread, kept by a trigger on the events
// table, so the time is written by the append's own statement (an append
// and its time commit together, whichever process or saver version made
// it) and the append itself needs no change. Times are the database's
// clock in Unix milliseconds. forgot marks a thread whose newest event is
// a tombstone: the sweeper need not look at it again until the next
// append. Threads written before the trigger existed get the time Setup
// ran, so they expire a TTL after that at the latest, never early.
//
// It is created by Setup only when the saver has a TTL (and stays: from
// then on every writer of the file keeps it up to date), so savers without
// one pay nothing per append.
const retentionSchema = `
CREATE TABLE IF NOT EXISTS jetgraph_activity (
	thread TEXT    NOT NULL PRIMARY KEY,
	seq    INTEGER NOT NULL,
	at     INTEGER NOT NULL,
	forgot INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jetgraph_activity_idle ON jetgraph_activity (at) WHERE forgot = 0;
CREATE TRIGGER IF NOT EXISTS jetgraph_activity_append AFTER INSERT ON jetgraph_events
BEGIN
	INSERT INTO jetgraph_activity (thread, seq, at, forgot)
	VALUES (NEW.thread, NEW.seq, CAST(unixepoch('subsec') * 1000 AS INTEGER), 0)
	ON CONFLICT (thread) DO UPDATE SET seq = excluded.seq, at = excluded.at, forgot = 0
	WHERE excluded.seq > jetgraph_activity.seq;
END;
INSERT INTO jetgraph_activity (thread, seq, at)
	SELECT thread, max(seq), CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM jetgraph_events WHERE true GROUP BY thread
	ON CONFLICT (thread) DO NOTHING;
`

var (
	_ eventstore.Activity      = (*Log)(nil)
	_ eventstore.IdleForgetter = (*Log)(nil)
)

// setupRetention creates the activity table and its trigger if the saver
// has a TTL.
func (s *Saver) setupRetention(ctx context.Context) error {
	if s.Retention().TTL <= 0 {
		return nil
	}
	if _, err := s.log.db.ExecContext(ctx, retentionSchema); err != nil {
		return fmt.Errorf("create activity table: %w", mapErr(err))
	}
	return nil
}

// LastAppend implements eventstore.Activity: the newest sequence and the
// time its append recorded, in one statement (one snapshot of the file).
func (l *Log) LastAppend(ctx context.Context, thread string) (uint64, time.Time, error) {
	var seq int64
	var at sql.NullInt64
	err := l.db.QueryRowContext(ctx, `SELECT m.seq,
		(SELECT a.at FROM jetgraph_activity a WHERE a.thread = ?1 AND a.seq = m.seq)
		FROM (SELECT coalesce(max(seq), 0) AS seq FROM jetgraph_events WHERE thread = ?1) m`, thread).Scan(&seq, &at)
	if err != nil {
		return 0, time.Time{}, mapErr(err)
	}
	if !at.Valid {
		return uint64(seq), time.Time{}, nil
	}
	// The stamp is the millisecond the append happened in: its end is the
	// earliest time not before the append.
	return uint64(seq), time.UnixMilli(at.Int64 + 1), nil
}

// Idle implements eventstore.Activity. The ids are read before the first
// is yielded.
func (l *Log) Idle(ctx context.Context, cutoff time.Time) iter.Seq2[string, error] {
	return l.ids(ctx, `SELECT thread FROM jetgraph_activity WHERE forgot = 0 AND at < ? ORDER BY thread`, cutoff.UnixMilli())
}

// Forget implements eventstore.IdleForgetter.
func (l *Log) Forget(ctx context.Context, thread string, seq uint64) error {
	_, err := l.db.ExecContext(ctx,
		`UPDATE jetgraph_activity SET forgot = 1 WHERE thread = ? AND seq = ?`, thread, int64(seq))
	return mapErr(err)
}
