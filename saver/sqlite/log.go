package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Log is an eventstore.Log in a SQLite database: the jetgraph_events table,
// with snapshots in jetgraph_snapshots and blobs in jetgraph_blobs. Its writes are serialized by a mutex,
// so goroutines of one process never contend for SQLite's write lock; SQLite
// itself serializes writers across processes.
type Log struct {
	db *sql.DB
	mu sync.Mutex // held for every write
}

var (
	_ eventstore.Log            = (*Log)(nil)
	_ eventstore.Truncater      = (*Log)(nil)
	_ eventstore.SnapshotLoader = (*Log)(nil)
	_ eventstore.SnapshotSaver  = (*Log)(nil)
)

// LastSeq implements eventstore.Log with one lookup in the primary key.
func (l *Log) LastSeq(ctx context.Context, thread string) (uint64, error) {
	var seq int64
	err := l.db.QueryRowContext(ctx,
		`SELECT coalesce(max(seq), 0) FROM jetgraph_events WHERE thread = ?`, thread).Scan(&seq)
	if err != nil {
		return 0, mapErr(err)
	}
	return uint64(seq), nil
}

// Read implements eventstore.Log. It holds a read transaction's snapshot
// (WAL) while the caller iterates.
func (l *Log) Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		rows, err := l.db.QueryContext(ctx,
			`SELECT seq, payload FROM jetgraph_events WHERE thread = ? AND seq > ? ORDER BY seq`,
			thread, int64(after))
		if err != nil {
			yield(event.Event{}, mapErr(err))
			return
		}
		defer rows.Close()
		eventstore.YieldEvents(rows, mapErr, yield)
	}
}

// Append implements eventstore.Log. The insert happens only if the thread's
// newest event is expect: the check and the insert are one statement, which
// SQLite runs under its write lock, and the (thread, seq) primary key
// rejects a duplicate sequence even if something else bypassed the check.
func (l *Log) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	res, err := l.db.ExecContext(ctx, `
		INSERT INTO jetgraph_events (thread, seq, payload)
		SELECT ?1, ?2 + 1, ?3
		WHERE (SELECT coalesce(max(seq), 0) FROM jetgraph_events WHERE thread = ?1) = ?2`,
		thread, int64(expect), payload)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 1 {
			return expect + 1, nil
		}
	}
	if err != nil && !errors.Is(mapErr(err), saver.ErrConflict) {
		return 0, fmt.Errorf("append to thread %q: %w", thread, mapErr(err))
	}
	return 0, eventstore.Refused(ctx, l, thread, expect)
}

// Threads implements eventstore.Log. The ids are read before the first is
// yielded, so the caller may query the log while it iterates.
func (l *Log) Threads(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		ids, err := l.threads(ctx)
		if err != nil {
			yield("", err)
			return
		}
		for _, id := range ids {
			if !yield(id, nil) {
				return
			}
		}
	}
}

func (l *Log) threads(ctx context.Context) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT DISTINCT thread FROM jetgraph_events ORDER BY thread`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(err)
		}
		ids = append(ids, id)
	}
	return ids, mapErr(rows.Err())
}

// Truncate implements eventstore.Truncater. It never drops the thread's
// newest event (the next append is conditional on it), and it drops a
// snapshot older than before, which the remaining events supersede.
func (l *Log) Truncate(ctx context.Context, thread string, before uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.db.ExecContext(ctx, `
		DELETE FROM jetgraph_events WHERE thread = ?1 AND seq < ?2
		AND seq < (SELECT max(seq) FROM jetgraph_events WHERE thread = ?1)`,
		thread, int64(before))
	if err == nil {
		_, err = l.db.ExecContext(ctx,
			`DELETE FROM jetgraph_snapshots WHERE thread = ? AND seq < ?`, thread, int64(before))
	}
	return mapErr(err)
}

// LoadSnapshot implements eventstore.SnapshotLoader.
func (l *Log) LoadSnapshot(ctx context.Context, thread string) ([]byte, error) {
	var b []byte
	err := l.db.QueryRowContext(ctx,
		`SELECT snapshot FROM jetgraph_snapshots WHERE thread = ?`, thread).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, mapErr(err)
}

// SaveSnapshot implements eventstore.SnapshotSaver. A snapshot replaces the
// thread's previous one only if it is newer, so racing processes keep the
// newest.
func (l *Log) SaveSnapshot(ctx context.Context, thread string, seq uint64, snapshot []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.db.ExecContext(ctx, `
		INSERT INTO jetgraph_snapshots (thread, seq, snapshot) VALUES (?, ?, ?)
		ON CONFLICT (thread) DO UPDATE SET seq = excluded.seq, snapshot = excluded.snapshot
		WHERE excluded.seq > jetgraph_snapshots.seq`,
		thread, int64(seq), snapshot)
	return mapErr(err)
}
