package postgres

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// activityLog is the log with what eventstore.Retention needs: when each
// thread was last appended to, kept in jetgraph_threads.touched_at by a
// trigger (migration 0003), and how to stop listing a deleted thread as
// idle. Its other methods are the Log's.
type activityLog struct {
	*Log
	lastAppend, idle, forget string
}

var (
	_ eventstore.Activity      = (*activityLog)(nil)
	_ eventstore.IdleForgetter = (*activityLog)(nil)
	_ eventstore.Truncater     = (*activityLog)(nil)
	_ eventstore.SnapshotSaver = (*activityLog)(nil)
	_ eventstore.BlobStore     = (*activityLog)(nil)
)

func withActivity(l *Log, schema string) *activityLog {
	th := table(schema, "jetgraph_threads")
	return &activityLog{Log: l,
		lastAppend: `SELECT last_seq, touched_at FROM ` + th + ` WHERE thread = $1`,
		idle:       `SELECT thread FROM ` + th + ` WHERE touched_at < $1 ORDER BY thread`,
		forget:     `UPDATE ` + th + ` SET touched_at = NULL WHERE thread = $1 AND last_seq = $2`,
	}
}

// LastAppend implements eventstore.Activity with the one lookup LastSeq
// makes.
func (l *activityLog) LastAppend(ctx context.Context, thread string) (uint64, time.Time, error) {
	var seq int64
	var at *time.Time
	err := l.pool.QueryRow(ctx, l.lastAppend, []byte(thread)).Scan(&seq, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, mapErr(err)
	}
	if at == nil {
		return uint64(seq), time.Time{}, nil
	}
	// timestamptz keeps microseconds, rounded: a microsecond later is
	// never before the append.
	return uint64(seq), at.Add(time.Microsecond), nil
}

// Idle implements eventstore.Activity. The ids are read before the first
// is yielded.
func (l *activityLog) Idle(ctx context.Context, cutoff time.Time) iter.Seq2[string, error] {
	return ids(ctx, l.pool, l.idle, cutoff)
}

// Forget implements eventstore.IdleForgetter.
func (l *activityLog) Forget(ctx context.Context, thread string, seq uint64) error {
	_, err := l.pool.Exec(ctx, l.forget, []byte(thread), int64(seq))
	return mapErr(err)
}
