package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jetgraph/jetgraph/graph"
)

// historyTurns makes the 3,000 checkpoints of the cold phase's history.
const historyTurns = 1000

// coldPhase: write a thread of o.coldTurns turns and one of 1,000 turns
// (3,000 checkpoints), close the saver, then for each figure open a fresh
// one on the data and time its first call: GetState of the long thread,
// the full history of the other, an Invoke on the long thread.
func coldPhase(ctx context.Context, name string, o options, out *printer) error {
	if name == "memory" {
		return errors.New("the memory saver keeps nothing to reopen")
	}
	sub, err := os.MkdirTemp(o.dir, name+"-cold-")
	if err != nil {
		return err
	}
	defer removeAt(context.WithoutCancel(ctx), name, sub) //nolint:errcheck // best effort
	if err := coldWrite(ctx, name, sub, o); err != nil {
		return err
	}
	const long, hist = "long", "history"
	figures := []struct {
		what string
		call func(ctx context.Context, chain *graph.Graph[chatState]) (map[string]any, error)
	}{
		{"get_state", func(ctx context.Context, chain *graph.Graph[chatState]) (map[string]any, error) {
			st, err := chain.GetState(ctx, graph.Config{ThreadID: long})
			if err == nil && len(st.Values.Messages) != 2*o.coldTurns {
				err = fmt.Errorf("%d messages, want %d", len(st.Values.Messages), 2*o.coldTurns)
			}
			return map[string]any{"turns": o.coldTurns}, err
		}},
		{"history", func(ctx context.Context, chain *graph.Graph[chatState]) (map[string]any, error) {
			n := 0
			for _, err := range chain.GetStateHistory(ctx, graph.Config{ThreadID: hist}, nil) {
				if err != nil {
					return nil, err
				}
				n++
			}
			return map[string]any{"checkpoints": n}, nil
		}},
		{"invoke", func(ctx context.Context, chain *graph.Graph[chatState]) (map[string]any, error) {
			return map[string]any{"turns": o.coldTurns}, turn(ctx, chain, long, 200)
		}},
	}
	for _, f := range figures {
		b, err := openAt(ctx, name, sub)
		if err != nil {
			return fmt.Errorf("reopen for %s: %w", f.what, err)
		}
		chain, err := appendOne(b.saver, 200, o.durability)
		if err != nil {
			return errors.Join(err, b.close(ctx))
		}
		eventsRead := b.eventsRead
		if er, ok := b.saver.(interface{ EventsRead() uint64 }); ok && eventsRead == nil {
			eventsRead = er.EventsRead // the SQL savers: events the store folded
		}
		var before uint64
		if eventsRead != nil {
			before = eventsRead()
		}
		t0 := time.Now()
		fields, err := f.call(ctx, chain)
		elapsed := time.Since(t0)
		if err := errors.Join(err, b.close(ctx)); err != nil {
			return fmt.Errorf("%s: %w", f.what, err)
		}
		fields["bench"], fields["saver"], fields["what"], fields["ms"] = "cold", name, f.what, ms(elapsed)
		if eventsRead != nil {
			fields["events_read"] = eventsRead() - before
		}
		out.print(fields)
	}
	return nil
}

// coldWrite writes the cold phase's two threads and closes the saver.
func coldWrite(ctx context.Context, name, sub string, o options) (err error) {
	b, err := openAt(ctx, name, sub)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, b.close(context.WithoutCancel(ctx))) }()
	chain, err := appendOne(b.saver, 200, o.durability)
	if err != nil {
		return err
	}
	for thread, turns := range map[string]int{"long": o.coldTurns, "history": historyTurns} {
		for i := range turns {
			if err := turn(ctx, chain, thread, 200); err != nil {
				return fmt.Errorf("write %s, turn %d: %w", thread, i, err)
			}
		}
	}
	return nil
}
