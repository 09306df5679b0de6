package savertest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

var concurrencyCases = []testCase{
	{"RacingWritersOneWinsOthersConflict", func(t *testing.T, s saver.Saver, _ string) {
		// Writers that read the same head race to extend it: exactly one
		// wins, the others get ErrConflict and store nothing
		// (langgraph#8796, #7417).
		b := on(t, s, "contended", "")
		head := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "0"})
		const writers = 8
		var wg sync.WaitGroup
		errs := make([]error, writers)
		cps := make([]saver.Checkpoint, writers)
		for i := range writers {
			cps[i] = newCheckpoint(head.CheckpointID, map[string]string{"a": fmt.Sprint("writer-", i)}, 2)
			wg.Go(func() {
				_, errs[i] = s.Put(ctx(t), saver.PutOp{Config: head, Checkpoint: cps[i], Metadata: meta(saver.SourceLoop, 0), NewVersions: map[string]uint64{"a": 2}})
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("writers %d and %d both won", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, saver.ErrConflict):
				t.Fatalf("writer %d: %v, want ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no writer won")
		}
		all := collect(t, s, saver.ListParams{ThreadID: "contended"})
		if len(all) != 2 || all[0].Checkpoint.ID != cps[winner].ID {
			t.Fatalf("stored %v, want the head and writer %d's checkpoint only", ids(all), winner)
		}
		wantValues(t, all[0], map[string]string{"a": fmt.Sprint("writer-", winner)})
	}},
	{"ParallelThreadsAllSucceed", func(t *testing.T, s saver.Saver, _ string) {
		const threads, steps = 6, 10
		var wg sync.WaitGroup
		errs := make(chan error, threads)
		for i := range threads {
			wg.Go(func() {
				thread := fmt.Sprint("parallel-", i)
				cfg := saver.Config{ThreadID: thread}
				for step := range steps {
					src := saver.SourceLoop
					if step == 0 {
						src = saver.SourceInput
					}
					cp := newCheckpoint(cfg.CheckpointID, map[string]string{"n": fmt.Sprint(step)}, uint64(step+1))
					var err error
					if cfg, err = s.Put(ctx(t), saver.PutOp{Config: cfg, Checkpoint: cp, Metadata: meta(src, step-1), NewVersions: map[string]uint64{"n": uint64(step + 1)}}); err != nil {
						errs <- fmt.Errorf("thread %s step %d: %w", thread, step, err)
						return
					}
					if err := s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("n", "w")}, TaskID: "task"}); err != nil {
						errs <- fmt.Errorf("thread %s step %d writes: %w", thread, step, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i := range threads {
			tu := on(t, s, fmt.Sprint("parallel-", i), "").get("")
			wantValues(t, tu, map[string]string{"n": fmt.Sprint(steps - 1)})
		}
		if all := collect(t, s, saver.ListParams{}); len(all) != threads*steps {
			t.Fatalf("listed %d, want %d", len(all), threads*steps)
		}
	}},
	{"ConcurrentWritesToOneCheckpointAllLand", func(t *testing.T, s saver.Saver, _ string) {
		// Parallel tasks of one step record their writes at the same time.
		b := on(t, s, "fan-out", "")
		c := b.put("", meta(saver.SourceInput, -1), nil)
		const tasks = 8
		var wg sync.WaitGroup
		errs := make([]error, tasks)
		for i := range tasks {
			wg.Go(func() {
				errs[i] = s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("out", fmt.Sprint(i))}, TaskID: fmt.Sprint("task-", i)})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("task %d: %v", i, err)
			}
		}
		if got := b.get(c.CheckpointID).PendingWrites; len(got) != tasks {
			t.Fatalf("%d writes landed, want %d", len(got), tasks)
		}
	}},
}
