package eventstore

import (
	"context"
	"fmt"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// seedNew appends recs as the first event of dst, which must hold no live
// checkpoint.
func (s *Store) seedNew(ctx context.Context, dst string, recs []event.Record) error {
	_, err := s.write(ctx, dst, func(t *event.Thread) ([]event.Record, error) {
		if !t.Empty() {
			return nil, &saver.ConflictError{ThreadID: dst, Reason: "thread already exists"}
		}
		return recs, nil
	})
	return err
}

// CopyThread implements saver.Copier.
func (s *Store) CopyThread(ctx context.Context, src, dst string) error {
	if err := saver.ValidateThread(src); err != nil {
		return err
	}
	if err := saver.ValidateThread(dst); err != nil {
		return err
	}
	if src == dst {
		return saver.Invalid("thread id", "copy onto itself")
	}
	var recs []event.Record
	err := s.view(ctx, src, func(t *event.Thread) error {
		if t.Empty() {
			return &saver.NotFoundError{ThreadID: src}
		}
		recs = t.PlanCopy()
		return nil
	})
	if err != nil {
		return err
	}
	return s.seedNew(ctx, dst, recs)
}

// ForkThread implements saver.Forker: the new thread's first event is a
// seed holding the values at src, whatever the length of src's history.
func (s *Store) ForkThread(ctx context.Context, src saver.Config, dst string) (saver.Config, error) {
	if err := saver.ValidateThread(src.ThreadID); err != nil {
		return saver.Config{}, err
	}
	if err := saver.ValidateThread(dst); err != nil {
		return saver.Config{}, err
	}
	if src.ThreadID == dst {
		return saver.Config{}, saver.Invalid("thread id", "fork onto itself")
	}
	var recs []event.Record
	var at saver.Config
	err := s.view(ctx, src.ThreadID, func(t *event.Thread) error {
		var err error
		recs, at, err = t.PlanFork(src)
		return err
	})
	if err != nil {
		return saver.Config{}, err
	}
	if err := s.seedNew(ctx, dst, recs); err != nil {
		return saver.Config{}, err
	}
	at.ThreadID = dst
	return at, nil
}

// Prune implements saver.Pruner. The log drops the events a prune made
// unnecessary when it is a Truncater.
func (s *Store) Prune(ctx context.Context, threadIDs []string, strategy saver.PruneStrategy) error {
	for _, thread := range threadIDs {
		if err := saver.ValidateThread(thread); err != nil {
			return err
		}
		seq, err := s.write(ctx, thread, func(t *event.Thread) ([]event.Record, error) {
			return t.PlanPrune(strategy)
		})
		if err != nil {
			return fmt.Errorf("prune thread %q: %w", thread, err)
		}
		if seq != 0 {
			if err := s.truncate(ctx, thread, seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteForRuns implements saver.RunDeleter. Each thread that holds
// checkpoints of the runs gets a seed without them, and the log drops the
// events before it, so nothing of them stays stored.
func (s *Store) DeleteForRuns(ctx context.Context, runIDs []string) error {
	if len(runIDs) == 0 {
		return nil
	}
	var threads []string
	for thread, err := range s.log.Threads(ctx) {
		if err != nil {
			return fmt.Errorf("list threads: %w", err)
		}
		threads = append(threads, thread)
	}
	for _, thread := range threads {
		seq, err := s.write(ctx, thread, func(t *event.Thread) ([]event.Record, error) {
			return t.PlanRollback(runIDs), nil
		})
		if err == nil && seq != 0 {
			err = s.truncate(ctx, thread, seq)
		}
		if err != nil {
			return fmt.Errorf("delete runs in thread %q: %w", thread, err)
		}
	}
	return nil
}

// Locate implements saver.Locator by looking through every thread.
func (s *Store) Locate(ctx context.Context, checkpointID string) (saver.Config, error) {
	if checkpointID == "" {
		return saver.Config{}, saver.Invalid("checkpoint id", "empty")
	}
	for tu, err := range s.List(ctx, saver.ListParams{CheckpointID: checkpointID, Limit: 1}) {
		if err != nil {
			return saver.Config{}, err
		}
		return tu.Config, nil
	}
	return saver.Config{}, &saver.NotFoundError{CheckpointID: checkpointID}
}

// ReplayTo returns the thread as it was right after the event at seq: the
// newest snapshot at or before seq, when the log keeps snapshots, with the
// events after it up to seq folded in. A seq beyond the thread's newest
// event, before its first stored event (pruned or deleted since, or before
// the thread began), or one at which the thread held nothing, is an error
// matching saver.ErrNotFound, never an empty thread or the thread's
// current state.
func (s *Store) ReplayTo(ctx context.Context, thread string, seq uint64) (*event.Thread, error) {
	if err := saver.ValidateThread(thread); err != nil {
		return nil, err
	}
	if seq == 0 {
		return nil, saver.Invalid("sequence", "0: events start at 1")
	}
	last, err := s.log.LastSeq(ctx, thread)
	if err != nil {
		return nil, fmt.Errorf("replay thread %q to %d: %w", thread, seq, err)
	}
	if seq > last {
		reason := fmt.Sprintf("its newest event is %d", last)
		if last == 0 {
			reason = "it has no events"
		}
		return nil, fmt.Errorf("replay thread %q to %d: %s: %w", thread, seq, reason, saver.ErrNotFound)
	}
	t := s.newThread(thread)
	if sl, ok := s.log.(SnapshotLoader); ok {
		if b, err := sl.LoadSnapshot(ctx, thread); err == nil && b != nil {
			if snap, err := event.RestoreResolved(b, s.resolver(ctx, thread)); err == nil && snap.ID == thread && snap.Seq <= seq {
				snap.BlobThreshold = s.opts.BlobThreshold
				t = snap
			}
		}
	}
	first := uint64(0)
	events := func(yield func(event.Event, error) bool) {
		for ev, err := range s.log.Read(ctx, thread, t.Seq) {
			if err == nil {
				s.read.Add(1)
			}
			if first == 0 && err == nil {
				first = ev.Seq
			}
			if !yield(ev, err) {
				return
			}
		}
	}
	base := t.Seq
	if err := t.Fold(events, s.foldOptions(ctx, thread, seq)); err != nil {
		return nil, err
	}
	if base == 0 && (first == 0 || seq < first) || t.Empty() {
		reason := fmt.Sprintf("nothing stored at sequence %d", seq)
		if first != 0 && seq < first {
			reason = fmt.Sprintf("its first stored event is %d: the events before it were pruned or deleted", first)
		}
		return nil, fmt.Errorf("replay thread %q to %d: %s: %w", thread, seq, reason, saver.ErrNotFound)
	}
	return t, nil
}

// EventsRead counts the events the store has read from its log to fold
// threads (cold reads, catching up, ReplayTo) since it was made: what a
// snapshot saves a cold read shows here.
func (s *Store) EventsRead() uint64 { return s.read.Load() }

// Commit implements saver.Committer: the ops become one event.
func (s *Store) Commit(ctx context.Context, ops []saver.Op) ([]saver.Config, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	var thread string
	switch {
	case ops[0].Put != nil:
		thread = ops[0].Put.Config.ThreadID
	case ops[0].Writes != nil:
		thread = ops[0].Writes.Config.ThreadID
	case ops[0].Lease != nil:
		thread = ops[0].Lease.ThreadID
	}
	if err := saver.ValidateThread(thread); err != nil {
		return nil, err
	}
	var outs []saver.Config
	_, err := s.write(ctx, thread, func(t *event.Thread) ([]event.Record, error) {
		recs, o, err := t.PlanCommit(ops)
		outs = o
		return recs, err
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}
