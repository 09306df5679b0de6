package main

import (
	"context"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/test/crash/workflow"
)

// The faults -fault injects, so that the harness's own test can show that
// its checks catch each kind of failure.
const (
	// faultEffectOutsideTask performs the side effect before graph.Task
	// instead of inside it: a node that runs again repeats it.
	faultEffectOutsideTask = "effect-outside-task"
	// faultUnstoredAck acknowledges a step that was never stored.
	faultUnstoredAck = "unstored-ack"
	// faultDuplicateWrites stores a task's writes a second time, with a
	// new nonce, once the workflow is done.
	faultDuplicateWrites = "duplicate-writes"
)

func checkFault(f string) error {
	switch f {
	case "", faultEffectOutsideTask, faultUnstoredAck, faultDuplicateWrites:
		return nil
	}
	return fmt.Errorf("-fault %q: want %q, %q or %q", f, faultEffectOutsideTask, faultUnstoredAck, faultDuplicateWrites)
}

// duplicateWrites stores the node writes of a task again, as a node run a
// second time would: with a new nonce. (A second checkpoint with the same
// parent is refused by the savers, and writes sent again unchanged store
// nothing.)
func duplicateWrites(ctx context.Context, s saver.Saver, cfg graph.Config) error {
	for tu, err := range s.List(ctx, saver.ListParams{ThreadID: cfg.ThreadID}) {
		if err != nil {
			return err
		}
		for _, w := range tu.PendingWrites {
			if w.Channel != "nonces" {
				continue
			}
			nonce, err := msgpack.Marshal("again:" + workflow.RandHex(6))
			if err != nil {
				return err
			}
			var again []saver.Write
			for _, x := range tu.PendingWrites {
				if x.TaskID == w.TaskID {
					if x.Channel == "nonces" {
						x.Value = nonce
					}
					again = append(again, saver.Write{Channel: x.Channel, Value: x.Value})
				}
			}
			return s.PutWrites(ctx, tu.Config, again, w.TaskID)
		}
	}
	return fmt.Errorf("duplicate writes: thread %q has no node writes", cfg.ThreadID)
}
