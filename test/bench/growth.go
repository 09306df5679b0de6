package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// growthFigures are the growth phase's figures in the order it prints them,
// with how many calls each median is taken over and what one call does.
var growthFigures = []struct {
	what  string
	calls int
	does  string
}{
	{"get_state", 50, "graph GetState at the head"},
	{"history", 3, "graph GetStateHistory, every checkpoint"},
	{"list", 3, "saver List of the thread, every tuple (no graph)"},
	{"fork", 5, "graph Fork from the middle checkpoint into a new thread"},
	{"invoke", 20, "graph Invoke, one turn more"},
}

// growthPhase: one thread grown to each length of o.growthTurns; at each,
// the median time of GetState at the head, the full history through the
// graph, the saver's List of the thread alone, a Fork from the middle and
// an Invoke on the thread (warm: the saver wrote the thread); then per
// figure the log-log slope of time against turns. The fork line also
// gives the bytes of the values at the fork point (a fork stores them:
// O(state)) and the time per MB of them.
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
	times := map[string][]time.Duration{}
	var checkpoints, forkBytes []int
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
		tu, err := b.saver.GetTuple(ctx, mid)
		if err != nil {
			return err
		}
		size := 0
		for _, v := range tu.Checkpoint.ChannelValues {
			size += len(v)
		}
		checkpoints, forkBytes = append(checkpoints, len(ids)), append(forkBytes, size)
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
			"list": func() error {
				for _, err := range b.saver.List(ctx, saver.ListParams{ThreadID: thread}) {
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
		for _, f := range growthFigures {
			t := timeN(f.calls, calls[f.what])
			if t.err != nil {
				return fmt.Errorf("%s at %d turns: %w", f.what, turns, t.err)
			}
			times[f.what] = append(times[f.what], t.median)
		}
	}
	xs := make([]float64, len(o.growthTurns))
	for i, t := range o.growthTurns {
		xs[i] = float64(t)
	}
	for _, f := range growthFigures {
		ys := make([]float64, len(xs))
		msList := make([]float64, len(xs))
		for i, d := range times[f.what] {
			ys[i], msList[i] = float64(d), ms(d)
		}
		line := map[string]any{"bench": "growth", "saver": name, "what": f.what, "turns": o.growthTurns,
			"ms": msList, "loglog_slope": growthSlope(xs, ys), "calls": f.calls, "does": f.does}
		switch f.what {
		case "history", "list":
			line["checkpoints"] = checkpoints
		case "fork":
			perMB := make([]float64, len(xs))
			for i, n := range forkBytes {
				perMB[i] = round(msList[i]/(float64(n)/(1<<20)), 3)
			}
			line["state_bytes"], line["ms_per_state_mb"] = forkBytes, perMB
		}
		out.print(line)
	}
	return nil
}

// growthSlope is the log-log slope of ys against xs, rounded; nil (null in
// the line) when fewer than two distinct lengths give no slope.
func growthSlope(xs, ys []float64) any {
	s := slope(xs, ys)
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return nil
	}
	return round(s, 3)
}
