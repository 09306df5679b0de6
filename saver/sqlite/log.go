package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"sync"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/internal/groupcommit"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Log is an eventstore.Log in a SQLite database: the jetgraph_events table,
// with snapshots in jetgraph_snapshots and blobs in jetgraph_blobs. Its
// writes are serialized by a mutex, so goroutines of one process never
// contend for SQLite's write lock; SQLite itself serializes writers across
// processes. Concurrent appends are written in batches, one transaction
// each.
type Log struct {
	db    *sql.DB
	mu    sync.Mutex // held for every write
	group groupcommit.Committer[appendReq, bool]
}

func newLog(db *sql.DB) *Log {
	l := &Log{db: db}
	l.group.Write = l.writeBatch
	return l
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

// appendSQL inserts one event if the thread's newest event is ?2: the check
// and the insert are one statement, which SQLite runs under its write lock,
// and the (thread, seq) primary key rejects a duplicate sequence even if
// something else bypassed the check.
const appendSQL = `
	INSERT INTO jetgraph_events (thread, seq, payload)
	SELECT ?1, ?2 + 1, ?3
	WHERE (SELECT coalesce(max(seq), 0) FROM jetgraph_events WHERE thread = ?1) = ?2`

// appendReq is one Append waiting for its batch.
type appendReq struct {
	thread  string
	expect  uint64
	payload []byte
}

// Append implements eventstore.Log. Concurrent appends share a transaction
// (group commit, see writeBatch), but each is decided on its own: it is
// stored only if the thread's newest event is expect when its statement
// runs, and it returns only after the transaction holding it committed.
func (l *Log) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	stored, err := l.group.Do(ctx, appendReq{thread: thread, expect: expect, payload: payload})
	if err != nil {
		return 0, err
	}
	if stored {
		return expect + 1, nil
	}
	return 0, eventstore.Refused(ctx, l, thread, expect)
}

// writeBatch writes a batch of appends in one transaction: one commit, so
// one WAL sync, for all of them. Each append is its own statement; a
// statement that fails on a constraint or on its size is undone by SQLite
// on its own and fails only its caller. Any other failure before the
// commit rolls the transaction back and the appends are written one by
// one; a failed commit fails every caller.
func (l *Log) writeBatch(ctx context.Context, batch []*groupcommit.Call[appendReq, bool]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(batch) == 1 {
		l.appendOne(batch[0])
		return
	}
	if err := l.tryBatch(ctx, batch); err != nil {
		for _, c := range batch {
			l.appendOne(c)
		}
	}
}

// tryBatch writes the batch in one transaction. On an error it returns,
// nothing of the batch is stored and no call's result is set.
func (l *Log) tryBatch(ctx context.Context, batch []*groupcommit.Call[appendReq, bool]) (err error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// A failed COMMIT or statement may already have ended the
			// transaction: the rollback's own error says nothing new.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	stmt, err := conn.PrepareContext(ctx, appendSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	stored := make([]bool, len(batch))
	failed := make([]error, len(batch))
	for i, c := range batch {
		res, err := stmt.ExecContext(ctx, c.In.thread, int64(c.In.expect), c.In.payload)
		if err != nil {
			switch code(err) {
			case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG:
				// Statement-level: SQLite undid this statement only.
				failed[i] = err
				continue
			}
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		stored[i] = n == 1
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		// Whether anything is stored is not ours to guess: every caller
		// gets the error, as with one append.
		for _, c := range batch {
			c.Err = fmt.Errorf("append to thread %q: %w", c.In.thread, mapErr(err))
		}
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil
	}
	for i, c := range batch {
		c.Out, c.Err = appendResult(c.In.thread, stored[i], failed[i])
	}
	return nil
}

// appendOne writes one append in its own transaction, on the caller's
// context.
func (l *Log) appendOne(c *groupcommit.Call[appendReq, bool]) {
	var stored bool
	res, err := l.db.ExecContext(c.Ctx, appendSQL, c.In.thread, int64(c.In.expect), c.In.payload)
	if err == nil {
		var n int64
		n, err = res.RowsAffected()
		stored = err == nil && n == 1
	}
	c.Out, c.Err = appendResult(c.In.thread, stored, err)
}

// appendResult is an append's outcome from its statement's: stored, refused
// by the condition or the primary key (false, nil: Append reports the
// conflict), or failed.
func appendResult(thread string, stored bool, err error) (bool, error) {
	if err == nil || errors.Is(mapErr(err), saver.ErrConflict) {
		return stored, nil
	}
	return false, fmt.Errorf("append to thread %q: %w", thread, mapErr(err))
}

// Threads implements eventstore.Log. The ids are read before the first is
// yielded, so the caller may query the log while it iterates.
func (l *Log) Threads(ctx context.Context) iter.Seq2[string, error] {
	return l.ids(ctx, `SELECT DISTINCT thread FROM jetgraph_events ORDER BY thread`)
}

// ids runs query, which selects thread ids, and yields them once every row
// is read.
func (l *Log) ids(ctx context.Context, query string, args ...any) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		ids, err := l.collect(ctx, query, args...)
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

func (l *Log) collect(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, query, args...)
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
