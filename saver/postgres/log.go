package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/internal/groupcommit"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Log is an eventstore.Log in PostgreSQL: jetgraph_events for the events,
// jetgraph_threads for each thread's newest sequence, jetgraph_snapshots
// for folded snapshots and jetgraph_blobs for values kept out of line.
type Log struct {
	pool  *pgxpool.Pool
	q     queries
	group groupcommit.Committer[appendReq, bool]
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
	l := &Log{pool: pool, q: queries{
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
	l.group.Write = l.writeBatch
	return l
}

// LastSeq implements eventstore.Log with one primary-key lookup.
func (l *Log) LastSeq(ctx context.Context, thread string) (uint64, error) {
	var seq int64
	err := l.pool.QueryRow(ctx, l.q.lastSeq, []byte(thread)).Scan(&seq)
	// Under SERIALIZABLE even a read can lose the server's serialization
	// check to concurrent appends; it changed nothing, so it is asked again.
	for try := 1; isConflict(err) && try < maxReadTries && ctx.Err() == nil; try++ {
		err = l.pool.QueryRow(ctx, l.q.lastSeq, []byte(thread)).Scan(&seq)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err)
	}
	return uint64(seq), nil
}

// maxReadTries bounds how often LastSeq asks when its read loses a
// serialization check.
const maxReadTries = 5

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

// appendReq is one Append waiting for its batch.
type appendReq struct {
	thread  string
	expect  uint64
	payload []byte
}

// Append implements eventstore.Log: the event is stored only if the
// thread's newest sequence is still expect, decided by one statement.
// Concurrent appends share a transaction (group commit, see writeBatch);
// each returns only after the transaction holding it committed.
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

// queue adds the statement of one append to b.
func (l *Log) queue(b *pgx.Batch, r appendReq) {
	if r.expect == 0 {
		b.Queue(l.q.appendFirst, []byte(r.thread), r.payload)
	} else {
		b.Queue(l.q.appendNext, []byte(r.thread), int64(r.expect), r.payload)
	}
}

// writeBatch writes a batch of appends as one pipeline in one implicit
// transaction: one round trip and one commit (one WAL flush) for all of
// them. Each append's statement decides it on its own: a thread that moved
// on matches no row and stores nothing, without failing the transaction.
// Under READ COMMITTED a statement that meets a head row another
// transaction changed waits for it and re-checks its condition against the
// committed row, so of two batches racing on one thread exactly one append
// wins. The appends are queued in thread order, so two batches lock head
// rows in the same order. If the server refuses a statement (a constraint,
// a deadlock, a serialization failure under a stricter isolation level),
// the transaction is rolled back whole and each append is written again on
// its own, so one failure fails only its caller. Any other failure may
// have come after the commit: every caller gets it, as with one append.
func (l *Log) writeBatch(ctx context.Context, batch []*groupcommit.Call[appendReq, bool]) {
	if len(batch) == 1 {
		l.appendOne(batch[0])
		return
	}
	slices.SortStableFunc(batch, func(a, b *groupcommit.Call[appendReq, bool]) int {
		return strings.Compare(a.In.thread, b.In.thread)
	})
	b := &pgx.Batch{}
	for _, c := range batch {
		l.queue(b, c.In)
	}
	stored := make([]bool, len(batch))
	br := l.pool.SendBatch(ctx, b)
	var err error
	for i := range batch {
		var tag pgconn.CommandTag
		if tag, err = br.Exec(); err != nil {
			break
		}
		stored[i] = tag.RowsAffected() == 1
	}
	if cerr := br.Close(); err == nil {
		err = cerr // the implicit transaction's commit
	}
	if err == nil {
		for i, c := range batch {
			c.Out = stored[i]
		}
		return
	}
	if !statementFailed(err) {
		// No word from the server (a lost connection, a cancelled
		// context) or a failure of the server itself: the batch may or
		// may not have committed. Do not guess.
		for _, c := range batch {
			c.Err = fmt.Errorf("append to thread %q: %w", c.In.thread, mapErr(err))
		}
		return
	}
	for _, c := range batch {
		l.appendOne(c)
	}
}

// statementFailed reports whether err is the server refusing a statement
// (bad data, a constraint, a serialization failure or deadlock, a limit, a
// bad statement): the transaction was rolled back and nothing of it is
// stored.
func statementFailed(err error) bool {
	state := sqlState(err)
	if len(state) != 5 {
		return false
	}
	switch state[:2] {
	case "22", "23", "40", "42", "54":
		return true
	}
	return false
}

// appendOne writes one append in its own transaction, on the caller's
// context.
func (l *Log) appendOne(c *groupcommit.Call[appendReq, bool]) {
	var tag pgconn.CommandTag
	var err error
	if r := c.In; r.expect == 0 {
		tag, err = l.pool.Exec(c.Ctx, l.q.appendFirst, []byte(r.thread), r.payload)
	} else {
		tag, err = l.pool.Exec(c.Ctx, l.q.appendNext, []byte(r.thread), int64(r.expect), r.payload)
	}
	switch {
	case err == nil:
		c.Out = tag.RowsAffected() == 1
	case isConflict(err):
		c.Out = false
	default:
		c.Err = fmt.Errorf("append to thread %q: %w", c.In.thread, mapErr(err))
	}
}

// Threads implements eventstore.Log. The ids are read before the first is
// yielded, so the caller may query the log while it iterates.
func (l *Log) Threads(ctx context.Context) iter.Seq2[string, error] {
	return ids(ctx, l.pool, l.q.threads)
}

// ids runs query, which selects thread ids, and yields them once every row
// is read.
func ids(ctx context.Context, pool *pgxpool.Pool, query string, args ...any) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		rows, err := pool.Query(ctx, query, args...)
		var ids [][]byte
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
		}
		if err != nil {
			yield("", mapErr(err))
			return
		}
		for _, id := range ids {
			if !yield(string(id), nil) {
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
