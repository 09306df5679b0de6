package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Log is an eventstore.Log in PostgreSQL: jetgraph_events for the events,
// jetgraph_threads for each thread's newest sequence, jetgraph_snapshots
// for folded snapshots and jetgraph_blobs for values kept out of line.
type Log struct {
	pool *pgxpool.Pool
	q    queries
}

// queries are the log's statements for one schema.
type queries struct {
	lastSeq, read, appendFirst, appendNext, threads, truncate, loadSnap, saveSnap string
	putBlob, getBlob, blobs, deleteBlobs                                          string
}

var (
	_ eventstore.Log            = (*Log)(nil)
	_ eventstore.Truncater      = (*Log)(nil)
	_ eventstore.SnapshotLoader = (*Log)(nil)
	_ eventstore.SnapshotSaver  = (*Log)(nil)
)

func newLog(pool *pgxpool.Pool, schema string) *Log {
	ev, th, sn := table(schema, "jetgraph_events"), table(schema, "jetgraph_threads"), table(schema, "jetgraph_snapshots")
	bl := table(schema, "jetgraph_blobs")
	return &Log{pool: pool, q: queries{
		lastSeq: `SELECT last_seq FROM ` + th + ` WHERE thread = $1`,
		read:    `SELECT seq, payload FROM ` + ev + ` WHERE thread = $1 AND seq > $2 ORDER BY seq`,
		// The head row is the condition: inserting it (first event) or
		// moving it on from the expected sequence either succeeds or
		// matches nothing, also when a concurrent writer got there first
		// (PostgreSQL re-checks the WHERE against the committed row). The
		// event goes in by the same statement, so a loser stores nothing.
		appendFirst: `WITH head AS (
			INSERT INTO ` + th + ` (thread, last_seq) VALUES ($1, 1)
			ON CONFLICT (thread) DO NOTHING RETURNING last_seq)
			INSERT INTO ` + ev + ` (thread, seq, payload) SELECT $1, last_seq, $2 FROM head`,
		appendNext: `WITH head AS (
			UPDATE ` + th + ` SET last_seq = last_seq + 1
			WHERE thread = $1 AND last_seq = $2 RETURNING last_seq)
			INSERT INTO ` + ev + ` (thread, seq, payload) SELECT $1, last_seq, $3 FROM head`,
		threads: `SELECT thread FROM ` + th + ` ORDER BY thread`,
		truncate: `WITH dropped AS (DELETE FROM ` + ev + ` WHERE thread = $1 AND seq < $2
				AND seq < (SELECT last_seq FROM ` + th + ` WHERE thread = $1))
			DELETE FROM ` + sn + ` WHERE thread = $1 AND seq < $2`,
		loadSnap: `SELECT snapshot FROM ` + sn + ` WHERE thread = $1`,
		saveSnap: `INSERT INTO ` + sn + ` AS s (thread, seq, snapshot) VALUES ($1, $2, $3)
			ON CONFLICT (thread) DO UPDATE SET seq = excluded.seq, snapshot = excluded.snapshot
			WHERE excluded.seq > s.seq`,
		putBlob:     `INSERT INTO ` + bl + ` (thread, key, data) VALUES ($1, $2, $3) ON CONFLICT (thread, key) DO NOTHING`,
		getBlob:     `SELECT data FROM ` + bl + ` WHERE thread = $1 AND key = $2`,
		blobs:       `SELECT key FROM ` + bl + ` WHERE thread = $1 ORDER BY key`,
		deleteBlobs: `DELETE FROM ` + bl + ` WHERE thread = $1 AND key = ANY($2)`,
	}}
}

// LastSeq implements eventstore.Log with one primary-key lookup.
func (l *Log) LastSeq(ctx context.Context, thread string) (uint64, error) {
	var seq int64
	err := l.pool.QueryRow(ctx, l.q.lastSeq, []byte(thread)).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err)
	}
	return uint64(seq), nil
}

// Read implements eventstore.Log. It holds one connection while the caller
// iterates.
func (l *Log) Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		rows, err := l.pool.Query(ctx, l.q.read, []byte(thread), int64(after))
		if err != nil {
			yield(event.Event{}, mapErr(err))
			return
		}
		defer rows.Close()
		eventstore.YieldEvents(rows, mapErr, yield)
	}
}

// Append implements eventstore.Log: the event is stored only if the
// thread's newest sequence is still expect, in one statement.
func (l *Log) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	var tag interface{ RowsAffected() int64 }
	var err error
	if expect == 0 {
		tag, err = l.pool.Exec(ctx, l.q.appendFirst, []byte(thread), payload)
	} else {
		tag, err = l.pool.Exec(ctx, l.q.appendNext, []byte(thread), int64(expect), payload)
	}
	if err == nil && tag.RowsAffected() == 1 {
		return expect + 1, nil
	}
	if err != nil && !isConflict(err) {
		return 0, fmt.Errorf("append to thread %q: %w", thread, mapErr(err))
	}
	return 0, eventstore.Refused(ctx, l, thread, expect)
}

// Threads implements eventstore.Log. The ids are read before the first is
// yielded, so the caller may query the log while it iterates.
func (l *Log) Threads(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		rows, err := l.pool.Query(ctx, l.q.threads)
		var ids []string
		if err == nil {
			ids, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
				var b []byte
				err := r.Scan(&b)
				return string(b), err
			})
		}
		if err != nil {
			yield("", mapErr(err))
			return
		}
		for _, id := range ids {
			if !yield(id, nil) {
				return
			}
		}
	}
}

// Truncate implements eventstore.Truncater. It also drops a snapshot older
// than before, which the remaining events supersede. It never drops the
// thread's newest event.
func (l *Log) Truncate(ctx context.Context, thread string, before uint64) error {
	_, err := l.pool.Exec(ctx, l.q.truncate, []byte(thread), int64(before))
	return mapErr(err)
}

// LoadSnapshot implements eventstore.SnapshotLoader.
func (l *Log) LoadSnapshot(ctx context.Context, thread string) ([]byte, error) {
	var b []byte
	err := l.pool.QueryRow(ctx, l.q.loadSnap, []byte(thread)).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return b, mapErr(err)
}

// SaveSnapshot implements eventstore.SnapshotSaver. A snapshot replaces the
// thread's previous one only if it is newer, so racing processes keep the
// newest.
func (l *Log) SaveSnapshot(ctx context.Context, thread string, seq uint64, snapshot []byte) error {
	_, err := l.pool.Exec(ctx, l.q.saveSnap, []byte(thread), int64(seq), snapshot)
	return mapErr(err)
}
