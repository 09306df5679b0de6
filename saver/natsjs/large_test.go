package natsjs_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

type bigState struct {
	Input []byte `graph:"input"`
	A     []byte `graph:"a"`
	B     []byte `graph:"b"`
	C     []byte `graph:"c"`
}

// fill returns n bytes that differ from those of another seed.
func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

// On a server with the stock 1 MB max payload, a graph stores a 5 MiB
// input and three 2.5 MiB outputs of nodes that run in parallel in one
// step, in every durability mode, and a cold reader gets them back.
func TestLargeValuesThroughAGraphOnAStockServer(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			_, js := stockServer(t)
			cfg := isolated(1)
			s := open(t, js, cfg)
			out := map[string][]byte{"a": fill(5<<19, 1), "b": fill(5<<19, 2), "c": fill(5<<19, 3)}
			build := func(s saver.Saver) *graph.Graph[bigState] {
				g := graph.New[bigState]()
				g.AddNode("a", func(context.Context, bigState) (bigState, error) { return bigState{A: out["a"]}, nil })
				g.AddNode("b", func(context.Context, bigState) (bigState, error) { return bigState{B: out["b"]}, nil })
				g.AddNode("c", func(context.Context, bigState) (bigState, error) { return bigState{C: out["c"]}, nil })
				for _, n := range []string{"a", "b", "c"} {
					g.AddEdge(graph.START, n)
					g.AddEdge(n, graph.END)
				}
				chain, err := g.Compile(graph.WithCheckpointer(s), graph.WithDurability(mode))
				if err != nil {
					t.Fatal(err)
				}
				return chain
			}
			chain := build(s)
			in := fill(5<<20, 7)
			thread := graph.Config{ThreadID: "big"}
			got, err := chain.Invoke(t.Context(), bigState{Input: in}, thread)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			check := func(who string, st bigState) {
				t.Helper()
				if !bytes.Equal(st.Input, in) || !bytes.Equal(st.A, out["a"]) || !bytes.Equal(st.B, out["b"]) || !bytes.Equal(st.C, out["c"]) {
					t.Fatalf("%s: values differ (sizes %d %d %d %d)", who, len(st.Input), len(st.A), len(st.B), len(st.C))
				}
			}
			check("invoke", got)
			if err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			snap, err := build(reader(t, js, cfg)).GetState(t.Context(), thread)
			if err != nil {
				t.Fatalf("cold read: %v", err)
			}
			check("cold read", snap.Values)
			if tu, err := reader(t, js, cfg).GetTuple(t.Context(), saver.Config{ThreadID: "big"}); err != nil || tu == nil {
				t.Fatalf("latest tuple: %v", err)
			}
		})
	}
}
