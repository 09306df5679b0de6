package eventstore

import (
	"context"
	"fmt"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// Rows is what database/sql's and pgx's row sets have in common.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// YieldEvents yields rows of (seq, payload) as events, for SQL logs'
// Read. It stops when yield returns false and passes every error through
// mapErr. The caller closes rows.
func YieldEvents(rows Rows, mapErr func(error) error, yield func(event.Event, error) bool) {
	for rows.Next() {
		var ev event.Event
		var seq int64
		if err := rows.Scan(&seq, &ev.Payload); err != nil {
			yield(event.Event{}, mapErr(err))
			return
		}
		ev.Seq = uint64(seq)
		if !yield(ev, nil) {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(event.Event{}, mapErr(err))
	}
}

// Refused returns the error for an append the log refused because the
// thread had moved on: a *saver.ConflictError with the sequence the thread
// is at now, read from log.
func Refused(ctx context.Context, log Log, thread string, expect uint64) error {
	actual, err := log.LastSeq(ctx, thread)
	if err != nil {
		return fmt.Errorf("append to thread %q: %w", thread, err)
	}
	return &saver.ConflictError{ThreadID: thread, Reason: "log moved on", Expected: expect, Actual: actual}
}
