package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Retention on the JetStream store (Config.Retention).
//
// A thread expires when its newest event is older than the TTL: "idle
// since". The server's own age limits measure something else. A stream's
// MaxAge, and the per-message TTL of nats-server 2.11 (Nats-TTL, with
// subject delete markers), remove each message a fixed time after it was
// stored, whatever came after it. On the event stream that would remove an
// active thread's first events (its input, its seed after a fork or copy,
// the tombstone that says what was deleted) while its later ones live: the
// fold would start mid-thread, a deleted thread's late writes would no
// longer be refused, and appends that were conditional on a message the
// server dropped would find a different newest sequence. A per-subject
// limit (MaxMsgsPerSubject) is a count, not a time. None of them can say
// "nothing was appended for a TTL", and none can append the tombstone that
// a delete is (invariant 9): removing messages is not deleting a thread.
//
// So the store sweeps (eventstore.Retention), on the server's clock: the
// time of a thread's newest message is the server's timestamp of the
// message, read with the last-message-for-subject request every fresh read
// makes anyway (LastAppend), so reads do not serve an expired thread
// between sweeps at no extra request. The sweeper lists the stream's
// subjects and looks at each one's newest message (Idle). Expiring is the
// ordinary delete: a tombstone appended with Nats-Expected-Last-Subject-
// Sequence set to the message found idle (so a writer that appended since
// wins, and a writer that comes after meets the tombstone), then the purge
// of the subject below it and the snapshot replaced by the deleted state,
// as DeleteThread does. The tombstone stays: it is what refuses the late
// writes.
var (
	_ eventstore.Activity = (*snapshotLog)(nil)
)

// LastAppend implements eventstore.Activity: the sequence and server
// timestamp of the thread's newest message, in one request.
func (l *snapshotLog) LastAppend(ctx context.Context, thread string) (uint64, time.Time, error) {
	subj, err := l.Subject(thread)
	if err != nil {
		return 0, time.Time{}, err
	}
	m, err := l.lastMsg(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("last message of %s: %w", subj, err)
	}
	return m.Sequence, m.Time, nil
}

func (l *snapshotLog) lastMsg(ctx context.Context, subj string) (*jetstream.RawStreamMsg, error) {
	ctx, cancel := context.WithTimeout(ctx, l.Config().Timeout)
	defer cancel()
	return l.Stream().GetLastMsgForSubject(ctx, subj)
}

// Idle implements eventstore.Activity: the threads whose newest message
// the server stored before cutoff and is not a tombstone (a deleted
// thread has nothing left to expire). It makes one request per thread of
// the stream.
func (l *snapshotLog) Idle(ctx context.Context, cutoff time.Time) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		ids, err := l.idle(ctx, cutoff)
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

func (l *snapshotLog) idle(ctx context.Context, cutoff time.Time) ([]string, error) {
	cfg := l.Config()
	info, err := l.Stream().Info(ctx, jetstream.WithSubjectFilter(cfg.Prefix+".>"))
	if err != nil {
		return nil, fmt.Errorf("stream %s subjects: %w", cfg.Stream, err)
	}
	var ids []string
	for subj := range info.State.Subjects {
		m, err := l.lastMsg(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // purged since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("last message of %s: %w", subj, err)
		}
		if !m.Time.Before(cutoff) || tombstone(m.Data) {
			continue
		}
		id, err := l.ThreadOf(subj, m.Header)
		if errors.Is(err, saver.ErrInvalid) || errors.Is(err, saver.ErrCorrupt) || errors.Is(err, eventlog.ErrHashedToken) {
			continue // not a thread of this log
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// tombstone reports whether an event is a delete's tombstone alone.
func tombstone(payload []byte) bool {
	recs, err := event.Decode(payload)
	return err == nil && len(recs) == 1 && recs[0].Kind == event.KindTombstone
}
