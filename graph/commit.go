package graph

import (
	"context"
	"fmt"
	"sync"

	"github.com/jetgraph/jetgraph/saver"
)

// committer stores a run's operations. Operations that need not be stored
// on their own (the input checkpoint, a replay's fork) wait in pending and
// ride along with the next commit, so a one-node invoke costs two appends on
// a saver.Committer.
type committer struct {
	mu      sync.Mutex
	s       saver.Saver
	c       saver.Committer
	pending []saver.Op
}

// later queues op for the next commit.
func (k *committer) later(op saver.Op) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending = append(k.pending, op)
}

// commit stores the queued operations and ops, atomically when the saver
// is a saver.Committer, else one by one.
func (k *committer) commit(ctx context.Context, ops ...saver.Op) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	all := append(k.pending, ops...)
	if len(all) == 0 || k.s == nil {
		k.pending = nil
		return nil
	}
	if k.c != nil {
		if _, err := k.c.Commit(ctx, all); err != nil {
			return err
		}
		k.pending = nil
		return nil
	}
	for i, op := range all {
		var err error
		if op.Put != nil {
			_, err = k.s.Put(ctx, op.Put.Config, op.Put.Checkpoint, op.Put.Metadata, op.Put.NewVersions)
		} else {
			err = k.s.PutWrites(ctx, op.Writes.Config, op.Writes.Writes, op.Writes.TaskID)
		}
		if err != nil {
			k.pending = all[i:]
			return err
		}
	}
	k.pending = nil
	return nil
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
