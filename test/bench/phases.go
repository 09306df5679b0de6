package main

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// warmup is how many untimed calls precede a timed loop.
const warmup = 200

// steps: a one-node graph appending one 64-byte message per invoke, N
// invokes on one thread.
func steps(ctx context.Context, name string, o options, out *printer) error {
	b, err := open(ctx, name, o.dir)
	if err != nil {
		return err
	}
	defer b.close(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	chain, err := appendOne(b.saver, 64, o.durability)
	if err != nil {
		return err
	}
	// Warm up on another thread, untimed, as the raw phase does: the first
	// calls pay for the store's and the runtime's first allocations.
	for range warmup {
		if _, err := chain.Invoke(ctx, chatState{}, graph.Config{ThreadID: "warmup"}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	before, err := b.appends(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := range o.invokes {
		if _, err := chain.Invoke(ctx, chatState{}, graph.Config{ThreadID: "steps"}); err != nil {
			return fmt.Errorf("invoke %d: %w", i, err)
		}
	}
	elapsed := time.Since(start)
	after, err := b.appends(ctx)
	if err != nil {
		return err
	}
	cps := 0
	for _, err := range b.saver.List(ctx, saver.ListParams{ThreadID: "steps"}) {
		if err != nil {
			return err
		}
		cps++
	}
	out.print(map[string]any{
		"bench":                  "steps_per_s",
		"saver":                  name,
		"invokes":                o.invokes,
		"invokes_per_s":          round(float64(o.invokes)/elapsed.Seconds(), 0),
		"checkpoints_per_invoke": round(float64(cps)/float64(o.invokes), 2),
		"appends_per_invoke":     round(float64(after-before)/float64(o.invokes), 2),
		"durability":             cmp.Or(string(o.durability), "default"),
	})
	return nil
}

// storage: bytes stored for conversations of T turns of 200-byte messages,
// each on a fresh store, and the log-log slope of bytes against turns.
func storage(ctx context.Context, name string, o options, out *printer) error {
	turnsList := []int{100, 200, 400}
	var xs, ys []float64
	for _, turns := range turnsList {
		n, err := storageFor(ctx, name, o, turns)
		if err != nil {
			return err
		}
		out.print(map[string]any{"bench": "storage_bytes", "saver": name, "turns": turns, "bytes": n})
		xs, ys = append(xs, float64(turns)), append(ys, float64(n))
	}
	out.print(map[string]any{"bench": "storage_growth", "saver": name, "turns": turnsList, "bytes": ys,
		"loglog_slope_bytes": round(slope(xs, ys), 3)})
	return nil
}

func storageFor(ctx context.Context, name string, o options, turns int) (uint64, error) {
	b, err := open(ctx, name, o.dir)
	if err != nil {
		return 0, err
	}
	defer b.close(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	chain, err := appendOne(b.saver, 200, o.durability)
	if err != nil {
		return 0, err
	}
	for i := range turns {
		if err := turn(ctx, chain, "conversation", 200); err != nil {
			return 0, fmt.Errorf("turn %d: %w", i, err)
		}
	}
	return b.bytes(ctx)
}

// state: getState at the head and in the middle, full history, and fork,
// on a thread of o.turns turns.
func state(ctx context.Context, name string, o options, out *printer) error {
	b, err := open(ctx, name, o.dir)
	if err != nil {
		return err
	}
	defer b.close(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	chain, err := appendOne(b.saver, 200, o.durability)
	if err != nil {
		return err
	}
	const thread = "long"
	for i := range o.turns {
		if err := turn(ctx, chain, thread, 200); err != nil {
			return fmt.Errorf("turn %d: %w", i, err)
		}
	}
	var ids []string
	for tu, err := range b.saver.List(ctx, saver.ListParams{ThreadID: thread}) {
		if err != nil {
			return err
		}
		ids = append(ids, tu.Checkpoint.ID)
	}
	mid := graph.Config{ThreadID: thread, CheckpointID: ids[len(ids)/2]}
	const reps = 200
	latest := timeN(reps, func() error { _, err := chain.GetState(ctx, graph.Config{ThreadID: thread}); return err })
	middle := timeN(reps, func() error { _, err := chain.GetState(ctx, mid); return err })
	if latest.err != nil || middle.err != nil {
		return fmt.Errorf("get state: %v %v", latest.err, middle.err)
	}
	out.print(map[string]any{"bench": "get_state_ms", "saver": name, "turns": o.turns,
		"latest_median_ms": ms(latest.median), "mid_median_ms": ms(middle.median)})

	hist := timeN(5, func() error {
		for _, err := range chain.GetStateHistory(ctx, graph.Config{ThreadID: thread}, nil) {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if hist.err != nil {
		return hist.err
	}
	out.print(map[string]any{"bench": "history_ms", "saver": name, "checkpoints": len(ids), "median_ms": ms(hist.median)})

	n := 0
	fork := timeN(20, func() error {
		n++
		_, err := chain.Fork(ctx, mid, fmt.Sprint("fork-", n))
		return err
	})
	if fork.err != nil {
		return fork.err
	}
	out.print(map[string]any{"bench": "fork_ms", "saver": name, "median_ms": ms(fork.median)})
	return nil
}

type timing struct {
	median time.Duration
	err    error
}

func timeN(n int, fn func() error) timing {
	ds := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := fn(); err != nil {
			return timing{err: err}
		}
		ds = append(ds, time.Since(t0))
	}
	return timing{median: median(ds)}
}
