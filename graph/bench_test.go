package graph_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
)

// BenchmarkInvoke measures a one-node invoke that appends a message per
// turn, on the memory saver: 3 checkpoints and 2 appends per op. Each
// thread holds 20 turns so the cost reflects a short conversation, not an
// ever-growing one.
//
// Sub-benchmarks run each durability mode.
func BenchmarkInvoke(b *testing.B) {
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		b.Run(string(mode), func(b *testing.B) {
			chain, _ := newChat(b)
			ctx := context.Background()
			text := strings.Repeat("x", 200)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cfg := graph.Config{ThreadID: "bench-" + strconv.Itoa(i/20)}
				if _, err := chain.Invoke(ctx, human(text), cfg, mode); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invokes/s")
		})
	}
}
