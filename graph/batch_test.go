package graph_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// recordingCommitter is a saver.Committer that records the operations of
// every Commit.
type recordingCommitter struct {
	*memory.Saver
	mu      sync.Mutex
	commits [][]saver.Op
}

func (r *recordingCommitter) Commit(ctx context.Context, ops []saver.Op) ([]saver.Config, error) {
	r.mu.Lock()
	r.commits = append(r.commits, ops)
	r.mu.Unlock()
	return r.Saver.Commit(ctx, ops)
}

// BigState has three channels that three parallel nodes fill.
type BigState struct {
	A string `graph:"a"`
	B string `graph:"b"`
	C string `graph:"c"`
}

// opBytes is the size of the values an op stores: the channel values a Put
// changes, the values of writes.
func opBytes(op saver.Op) int {
	n := 0
	if op.Put != nil {
		for ch := range op.Put.NewVersions {
			n += len(op.Put.Checkpoint.ChannelValues[ch])
		}
	}
	if op.Writes != nil {
		for _, w := range op.Writes.Writes {
			n += len(w.Value)
		}
	}
	return n
}

// Joining queued steps into one append must not make an append larger
// than the steps are alone: a commit that holds several operations holds
// at most 256 KiB of values, so three parallel nodes writing 2.5 MiB each
// are stored in several commits in every mode.
func TestJoinedCommitsStayUnderTheBatchCap(t *testing.T) {
	t.Parallel()
	const capBytes = 256 << 10
	big := strings.Repeat("x", 5<<19) // 2.5 MiB
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			g := graph.New[BigState]()
			g.AddNode("a", func(context.Context, BigState) (BigState, error) { return BigState{A: big}, nil })
			g.AddNode("b", func(context.Context, BigState) (BigState, error) { return BigState{B: big}, nil })
			g.AddNode("c", func(context.Context, BigState) (BigState, error) { return BigState{C: big}, nil })
			for _, n := range []string{"a", "b", "c"} {
				g.AddEdge(graph.START, n)
			}
			rc := &recordingCommitter{Saver: memory.New()}
			chain, err := g.Compile(graph.WithCheckpointer(rc), graph.WithDurability(mode))
			if err != nil {
				t.Fatal(err)
			}
			out, err := chain.Invoke(t.Context(), BigState{}, graph.Config{ThreadID: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.A)+len(out.B)+len(out.C) != 3*len(big) {
				t.Fatal("the nodes' writes are missing from the result")
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.commits) < 2 {
				t.Fatalf("%d commits, want several", len(rc.commits))
			}
			for i, ops := range rc.commits {
				data, size := 0, 0
				for _, op := range ops {
					if op.Put != nil || op.Writes != nil {
						data++
						size += opBytes(op)
					}
				}
				if data > 1 && size > capBytes {
					t.Errorf("commit %d joins %d operations holding %d bytes of values, over %d", i, data, size, capBytes)
				}
			}
		})
	}
}
