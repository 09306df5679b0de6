package natsjs_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// On a stock 1 MB server, a state of many channels, each below the size
// that goes out of line and together above what one message holds, is
// stored step by step; a fork, which seeds the new thread with every value
// in one event, and pruning, which seeds the thread again, still work: the
// largest values of an event too large for one message go out of line.
func TestManyMediumValuesOnAStockServer(t *testing.T) {
	t.Parallel()
	_, js := stockServer(t)
	s := open(t, js, isolated(1))
	ctx := t.Context()
	const channels, size = 24, 60_000 // 1.44 MB together; out of line above 1 MB / 16
	cfg := saver.Config{ThreadID: "wide"}
	want := map[string][]byte{}
	for i := range channels {
		ch := fmt.Sprint("c", i)
		want[ch] = fill(size, byte(i))
		next, err := s.Put(ctx, saver.PutOp{
			Config:      cfg,
			Checkpoint:  saver.Checkpoint{ID: saver.NewCheckpointID(cfg.CheckpointID), ChannelValues: map[string][]byte{ch: want[ch]}},
			Metadata:    saver.Metadata{Source: saver.SourceLoop, Step: i},
			NewVersions: map[string]uint64{ch: 1},
		})
		if err != nil {
			t.Fatalf("put %s: %v", ch, err)
		}
		cfg = next
	}
	check := func(who string, thread string) {
		t.Helper()
		tu, err := s.GetTuple(ctx, saver.Config{ThreadID: thread})
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		for ch, v := range want {
			if !bytes.Equal(tu.Checkpoint.ChannelValues[ch], v) {
				t.Fatalf("%s: channel %s has %d bytes, want %d", who, ch, len(tu.Checkpoint.ChannelValues[ch]), len(v))
			}
		}
	}
	check("the thread", "wide")
	if _, err := s.ForkThread(ctx, cfg, "wide-fork"); err != nil {
		t.Fatalf("fork: %v", err)
	}
	check("the fork", "wide-fork")
	if err := s.Prune(ctx, []string{"wide"}, saver.PruneKeepLatest); err != nil {
		t.Fatalf("prune: %v", err)
	}
	check("the pruned thread", "wide")
}

func (w *wideState) fields() []*[]byte {
	return []*[]byte{&w.C0, &w.C1, &w.C2, &w.C3, &w.C4, &w.C5, &w.C6, &w.C7, &w.C8, &w.C9,
		&w.D0, &w.D1, &w.D2, &w.D3, &w.D4, &w.D5, &w.D6, &w.D7, &w.D8, &w.D9}
}

// One node writes 20 channels of 60,000 bytes in one step (1.2 MB, each
// below the 65 KB that goes out of line on a stock server): the step is
// stored in every durability mode, and a cold read through another saver
// gives the same state (in exit and async mode the run's commit planned
// the step before its values went out of line).
func TestAStepTooLargeForOneMessageGoesOutOfLine(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			_, js := stockServer(t)
			cfg := isolated(1)
			var want wideState
			for i, f := range want.fields() {
				*f = fill(60_000, byte(i))
			}
			build := func(s saver.Saver) *graph.Graph[wideState] {
				g := graph.New[wideState]()
				g.AddNode("wide", func(context.Context, wideState) (wideState, error) { return want, nil })
				g.AddEdge(graph.START, "wide")
				g.AddEdge("wide", graph.END)
				chain, err := g.Compile(graph.WithCheckpointer(s), graph.WithDurability(mode))
				if err != nil {
					t.Fatal(err)
				}
				return chain
			}
			s := open(t, js, cfg)
			chain := build(s)
			thread := graph.Config{ThreadID: "wide"}
			if _, err := chain.Invoke(t.Context(), wideState{}, thread); err != nil {
				t.Fatalf("invoke: %v", err)
			}
			if err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			for who, g := range map[string]*graph.Graph[wideState]{"the writer": chain, "a cold reader": build(reader(t, js, cfg))} {
				st, err := g.GetState(t.Context(), thread)
				if err != nil {
					t.Fatalf("%s: %v", who, err)
				}
				got := st.Values
				for i, f := range got.fields() {
					if !bytes.Equal(*f, *want.fields()[i]) {
						t.Fatalf("%s: channel f%d has %d bytes", who, i, len(*f))
					}
				}
			}
		})
	}
}
