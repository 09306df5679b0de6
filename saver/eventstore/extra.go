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
	return saver.Config{ThreadID: dst, CheckpointNS: at.CheckpointNS, CheckpointID: at.CheckpointID}, nil
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

// DeleteForRuns implements saver.RunDeleter.
func (s *Store) DeleteForRuns(ctx context.Context, runIDs []string) error {
	if len(runIDs) == 0 {
		return nil
	}
	for thread, err := range s.log.Threads(ctx) {
		if err != nil {
			return fmt.Errorf("list threads: %w", err)
		}
		_, err := s.write(ctx, thread, func(t *event.Thread) ([]event.Record, error) {
			return t.PlanRollback(runIDs), nil
		})
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
// events up to seq folded from the start.
func (s *Store) ReplayTo(ctx context.Context, thread string, seq uint64) (*event.Thread, error) {
	if err := saver.ValidateThread(thread); err != nil {
		return nil, err
	}
	t := event.NewThread(thread)
	for ev, err := range s.log.Read(ctx, thread, 0) {
		if err != nil {
			return nil, fmt.Errorf("thread %q: read events: %w", thread, err)
		}
		if ev.Seq > seq {
			break
		}
		if err := t.Apply(ev.Seq, ev.Payload); err != nil {
			s.opts.Logger.Error("jetgraph: skipping corrupt event", "thread", thread, "seq", ev.Seq, "err", err)
		}
	}
	return t, nil
}

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
