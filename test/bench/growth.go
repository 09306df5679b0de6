package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// growthPhase: one thread grown to each length of o.growthTurns; at each,
// the median time of GetState at the head, the full history, a Fork from
// the middle and an Invoke on the thread (warm: the saver wrote the thread);
// then per figure the log-log slope of time against turns.
func growthPhase(ctx context.Context, name string, o options, out *printer) error {
	b, err := open(ctx, name, o.dir)
	if err != nil {
		return err
	}
	defer b.close(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	chain, err := appendOne(b.saver, 200, o.durability)
	if err != nil {
		return err
	}
	const thread = "grow"
	whats := []string{"get_state", "history", "fork", "invoke"}
	times := map[string][]time.Duration{}
	done, forks := 0, 0
	for _, turns := range o.growthTurns {
		for ; done < turns; done++ {
			if err := turn(ctx, chain, thread, 200); err != nil {
				return fmt.Errorf("turn %d: %w", done, err)
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
		calls := map[string]func() error{
			"get_state": func() error { _, err := chain.GetState(ctx, graph.Config{ThreadID: thread}); return err },
			"history": func() error {
				for _, err := range chain.GetStateHistory(ctx, graph.Config{ThreadID: thread}, nil) {
					if err != nil {
						return err
					}
				}
				return nil
			},
			"fork": func() error {
				forks++
				_, err := chain.Fork(ctx, mid, fmt.Sprint("fork-", forks))
				return err
			},
			// Each invoke makes the thread a turn longer: 20 in all, next to
			// the turns counted.
			"invoke": func() error { done++; return turn(ctx, chain, thread, 200) },
		}
		reps := map[string]int{"get_state": 50, "history": 3, "fork": 5, "invoke": 20}
		for _, what := range whats {
			t := timeN(reps[what], calls[what])
			if t.err != nil {
				return fmt.Errorf("%s at %d turns: %w", what, turns, t.err)
			}
			times[what] = append(times[what], t.median)
		}
	}
	xs := make([]float64, len(o.growthTurns))
	for i, t := range o.growthTurns {
		xs[i] = float64(t)
	}
	for _, what := range whats {
		ys := make([]float64, len(xs))
		msList := make([]float64, len(xs))
		for i, d := range times[what] {
			ys[i], msList[i] = float64(d), ms(d)
		}
		out.print(map[string]any{"bench": "growth", "saver": name, "what": what, "turns": o.growthTurns,
			"ms": msList, "loglog_slope": round(slope(xs, ys), 3)})
	}
	return nil
}
