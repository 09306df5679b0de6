package restart_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// State is the workflow's state: each node appends its name.
type State struct {
	Notes []string `graph:"notes,reducer=append"`
}

// steps is the number of sequential nodes of the long workflow.
const steps = 6

// stopBefore is the node the first run stops in front of (interrupt
// before): n1..n3 have run and are stored, n4..n6 are left.
const stopBefore = "n4"

func nodeName(i int) string { return fmt.Sprintf("n%d", i) }

// wantNotes is the final state of a finished workflow.
func wantNotes() []string {
	var out []string
	for i := 1; i <= steps; i++ {
		out = append(out, nodeName(i))
	}
	return out
}

// stopAtN4 stops a run in front of n4 (interrupt before).
var stopAtN4 = graph.WithInterruptBefore(stopBefore)

// workflow is the long sequential graph n1 → n2 → ... → n6, stored with
// sync durability. runs counts how many times each node ran.
type workflow struct {
	chain *graph.Graph[State]
	runs  [steps + 1]atomic.Int32
	// hold, when set, is called by n4 after it counted its run and before
	// it returns: a test stops the workflow in the middle of step 4 with it.
	hold func(ctx context.Context) error
}

func newWorkflow(t *testing.T, s saver.Saver, opts ...graph.Option) *workflow {
	t.Helper()
	w := &workflow{}
	g := graph.New[State]()
	for i := 1; i <= steps; i++ {
		name := nodeName(i)
		g.AddNode(name, func(ctx context.Context, _ State) (State, error) {
			w.runs[i].Add(1)
			if i == 4 && w.hold != nil {
				if err := w.hold(ctx); err != nil {
					return State{}, err
				}
			}
			return State{Notes: []string{name}}, nil
		})
		if i == 1 {
			g.AddEdge(graph.START, name)
		} else {
			g.AddEdge(nodeName(i-1), name)
		}
	}
	g.AddEdge(nodeName(steps), graph.END)
	chain, err := g.Compile(append([]graph.Option{
		graph.WithCheckpointer(s),
		graph.WithDurability(graph.DurabilitySync),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	w.chain = chain
	return w
}

// runFirstHalf invokes the workflow on thread and checks it stopped before
// n4 with n1..n3 stored.
func (w *workflow) runFirstHalf(t *testing.T, ctx context.Context, cfg graph.Config) {
	t.Helper()
	out, err := w.chain.Invoke(ctx, State{}, cfg)
	if err != nil {
		t.Fatalf("first half: %v", err)
	}
	if want := wantNotes()[:3]; !slices.Equal(out.Notes, want) {
		t.Fatalf("first half: notes %q, want %q", out.Notes, want)
	}
	snap, err := w.chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.Next, []string{stopBefore}) || snap.Status != graph.StatusPending {
		t.Fatalf("after the first half: next %q status %q, want [%s] pending", snap.Next, snap.Status, stopBefore)
	}
}

// checkFinished checks Resume's result, the stored head and that no node
// ran twice (n1..n3 by this workflow value before the restart, if it ran
// them).
func checkFinished(t *testing.T, ctx context.Context, w *workflow, cfg graph.Config, out State, firstHalfHere bool) {
	t.Helper()
	checkFinishedRuns(t, ctx, w, cfg, out, firstHalfHere, 1)
}

// checkFinishedRuns is checkFinished where n4 ran n4runs times.
func checkFinishedRuns(t *testing.T, ctx context.Context, w *workflow, cfg graph.Config, out State, firstHalfHere bool, n4runs int32) {
	t.Helper()
	if want := wantNotes(); !slices.Equal(out.Notes, want) {
		t.Fatalf("after resume: notes %q, want %q", out.Notes, want)
	}
	snap, err := w.chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Status != graph.StatusDone || !slices.Equal(snap.Values.Notes, wantNotes()) {
		t.Fatalf("stored head: status %q notes %q", snap.Status, snap.Values.Notes)
	}
	for i := 1; i <= steps; i++ {
		want := int32(1)
		if i == 4 {
			want = n4runs
		}
		if i < 4 && !firstHalfHere {
			want = 0
		}
		if got := w.runs[i].Load(); got != want {
			t.Errorf("node %s ran %d times, want %d", nodeName(i), got, want)
		}
	}
}
