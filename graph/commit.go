package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jetgraph/jetgraph/saver"
)

// committer stores a run's operations in the order the run makes them.
// Operations that need not be stored on their own (the input checkpoint, a
// replay's fork, a resume value) wait in pending and ride along with the
// next commit, so a one-node invoke costs two appends on a saver.Committer.
//
// How commit waits depends on the durability mode: DurabilitySync stores
// before it returns; DurabilityAsync hands the operations to one background
// writer that stores them in order while the run goes on; DurabilityExit
// keeps everything in pending until finish. finish must be called before
// the run returns: it waits for the background writer and reports the
// first error any write met, so no error is dropped.
type committer struct {
	mu      sync.Mutex
	s       saver.Saver
	c       saver.Committer
	mode    Durability
	pending []saver.Op

	// DurabilityAsync: queued operations, the writer's state and the first
	// error it met (after which nothing more is written: later operations
	// build on the failed ones).
	queue   []saver.Op
	busy    bool          // a writer goroutine is running
	storing bool          // a batch is being stored (by the writer or by finish)
	idle    chan struct{} // closed when the writer stops
	err     error

	// stored says a commit of the run was stored; staleFirst says the
	// run's first commit was refused because the checkpoint it built on was
	// no longer the latest (saver.ErrStale): then nothing of the run is
	// stored and it may start over from a fresh read.
	smu        sync.Mutex // guards stored and staleFirst: store runs with or without mu
	stored     bool
	staleFirst bool
}

// noteStored records the outcome of a commit.
func (k *committer) noteStored(err error) {
	k.smu.Lock()
	defer k.smu.Unlock()
	switch {
	case err == nil:
		k.stored = true
	case !k.stored && errors.Is(err, saver.ErrStale):
		k.staleFirst = true
	}
}

// refusedAsStale reports whether the run's own first commit was refused
// as stale.
func (k *committer) refusedAsStale() bool {
	k.smu.Lock()
	defer k.smu.Unlock()
	return k.staleFirst
}

// later queues op for the next commit.
func (k *committer) later(op saver.Op) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending = append(k.pending, op)
}

// commit stores the queued operations and ops, atomically when the saver
// is a saver.Committer, else one by one; or, in the async and exit modes,
// hands them on. In async mode it returns the error of an earlier
// background write, so a run stops at the first failure.
func (k *committer) commit(ctx context.Context, ops ...saver.Op) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.s == nil {
		k.pending = nil
		return nil
	}
	switch k.mode {
	case DurabilityExit:
		k.pending = append(k.pending, ops...)
		return nil
	case DurabilityAsync:
		if k.err != nil {
			return k.err
		}
		k.queue = append(append(k.queue, k.pending...), ops...)
		k.pending = nil
		if !k.busy && len(k.queue) > 0 {
			k.busy, k.idle = true, make(chan struct{})
			go k.drain(context.WithoutCancel(ctx))
		}
		return nil
	}
	all := append(k.pending, ops...)
	n, err := k.store(ctx, all)
	k.pending = all[n:] // what was not stored goes with the next commit
	return err
}

// drain is the async writer: it stores what is queued, in order, batching
// what queued up while it was writing, until the queue is empty or a write
// fails. It writes without the run's cancellation: the steps it stores
// finished before the run was cancelled.
func (k *committer) drain(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for !k.storing && k.storeQueued(ctx) {
	}
	k.busy = false
	close(k.idle)
}

// storeQueued stores the queued operations as one batch and reports
// whether it stored anything. k.mu must be held and no batch be in store;
// it is released while the batch is stored.
func (k *committer) storeQueued(ctx context.Context) bool {
	if len(k.queue) == 0 || k.err != nil {
		k.queue = nil
		return false
	}
	batch := k.queue
	k.queue = nil
	k.storing = true
	k.mu.Unlock()
	_, err := k.store(ctx, batch)
	k.mu.Lock()
	k.storing = false
	if err != nil {
		k.err = err
	}
	return true
}

// finish ends the run's writing: in exit mode it stores everything pending
// (even when the run was cancelled: those steps finished); in async mode it
// stores what the background writer has not taken yet and waits for what
// it has. It returns the first write error.
func (k *committer) finish(ctx context.Context) error {
	k.mu.Lock()
	switch k.mode {
	case DurabilityExit:
		all := k.pending
		k.pending = nil
		k.mu.Unlock()
		if k.s == nil || len(all) == 0 {
			return nil
		}
		_, err := k.store(context.WithoutCancel(ctx), all)
		return err
	case DurabilityAsync:
		// What the writer has not taken yet is stored here rather than
		// waited for: a run usually ends before its writer goroutine got a
		// core. Only a batch in store must be waited for (it goes first).
		if !k.storing {
			for k.storeQueued(context.WithoutCancel(ctx)) {
			}
		}
		idle, wait := k.idle, k.storing
		k.mu.Unlock()
		if wait {
			<-idle
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.err
	}
	k.mu.Unlock()
	return nil
}

// store writes ops now and returns how many it stored: all or none on a
// saver.Committer, a prefix on others.
func (k *committer) store(ctx context.Context, ops []saver.Op) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	if k.c != nil {
		_, err := k.c.Commit(ctx, ops)
		k.noteStored(err)
		if err != nil {
			return 0, err
		}
		return len(ops), nil
	}
	for i, op := range ops {
		var err error
		if op.Put != nil {
			_, err = k.s.Put(ctx, op.Put.Config, op.Put.Checkpoint, op.Put.Metadata, op.Put.NewVersions)
		} else {
			err = k.s.PutWrites(ctx, op.Writes.Config, op.Writes.Writes, op.Writes.TaskID)
		}
		if err != nil {
			return i, err
		}
	}
	return len(ops), nil
}

func writesOp(cfg saver.Config, taskID string, writes []saver.Write) saver.Op {
	return saver.Op{Writes: &saver.WritesOp{Config: cfg, TaskID: taskID, Writes: writes}}
}

func errorWrite(err error) []saver.Write {
	return []saver.Write{{Channel: saver.ChannelError, Value: encodeString(err.Error())}}
}

func wrapCommit(thread string, step int, err error) error {
	return fmt.Errorf("thread %q: save step %d: %w", thread, step, err)
}
