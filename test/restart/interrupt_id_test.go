package restart_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// twoAskers runs "b" and "c" in one step: b asks two questions, c one (as
// graph/interrupt_id_test.go).
func twoAskers(t *testing.T, s saver.Saver) *graph.Graph[State] {
	t.Helper()
	g := graph.New[State]()
	g.AddNode("b", func(ctx context.Context, _ State) (State, error) {
		first, err := graph.Interrupt[string](ctx, "b1?")
		if err != nil {
			return State{}, err
		}
		second, err := graph.Interrupt[string](ctx, "b2?")
		return State{Notes: []string{"b=" + first + "," + second}}, err
	})
	g.AddNode("c", func(ctx context.Context, _ State) (State, error) {
		ans, err := graph.Interrupt[string](ctx, "c?")
		return State{Notes: []string{"c=" + ans}}, err
	})
	g.AddEdge(graph.START, "b")
	g.AddEdge(graph.START, "c")
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// pendingIDs reads the thread's pending interrupts as value → id.
func pendingIDs(t *testing.T, ctx context.Context, chain *graph.Graph[State], cfg graph.Config) map[string]string {
	t.Helper()
	snap, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, in := range snap.Interrupts {
		out[in.Value.(string)] = in.ID
	}
	return out
}

// The scenario of graph's
// TestInterruptsInParallelBranchesAreAnsweredOneAtATimeByID, on each
// durable saver: two parallel branches interrupt; their questions are
// answered one at a time by id (ResumeMap, then a plain value for the last
// one); then, on forks of the first interrupted point (by Fork and by
// resuming a new thread from its checkpoint id), both at once.
func TestInterruptsByIDOnDurableSavers(t *testing.T) {
	t.Parallel()
	savers := map[string]func(t *testing.T, ctx context.Context) saver.Saver{
		"natsjs-embedded": func(t *testing.T, ctx context.Context) saver.Saver {
			s, err := open.Embedded(ctx, t.TempDir(), natsjs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		},
		"sqlite-file": func(t *testing.T, ctx context.Context) saver.Saver {
			s, err := sqlite.FromConnString(ctx, filepath.Join(t.TempDir(), "threads.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		},
		"postgres": func(t *testing.T, ctx context.Context) saver.Saver {
			url := pgtest.URL(t) // skips, or fails in CI, without PostgreSQL
			s, err := postgres.Connect(ctx, url, postgres.Config{Schema: pgtest.Schema(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		},
	}
	for name, newSaver := range savers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			interruptsByID(t, ctx, twoAskers(t, newSaver(t, ctx)))
		})
	}
}

func interruptsByID(t *testing.T, ctx context.Context, chain *graph.Graph[State]) {
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	if _, err := chain.Invoke(ctx, State{}, cfg, graph.WithOutcome(&oc)); err != nil {
		t.Fatal(err)
	}
	start, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := pendingIDs(t, ctx, chain, cfg)
	if len(ids) != 2 || ids["b1?"] == "" || ids["c?"] == "" || ids["b1?"] == ids["c?"] {
		t.Fatalf("pending after invoke: %v", ids)
	}
	for _, in := range oc.Interrupts {
		if ids[in.Value.(string)] != in.ID {
			t.Fatalf("outcome id %q for %v, GetState says %q", in.ID, in.Value, ids[in.Value.(string)])
		}
	}
	// A resume without a value asks the same questions again, same ids.
	if _, err := chain.Resume(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if again := pendingIDs(t, ctx, chain, cfg); again["b1?"] != ids["b1?"] || again["c?"] != ids["c?"] {
		t.Fatalf("ids after a resume without value: %v, before %v", again, ids)
	}

	// b's first question only: b asks its second under a new id; c's
	// question keeps its id.
	if _, err := chain.ResumeWith(ctx, cfg, graph.ResumeMap{ids["b1?"]: "x"}); err != nil {
		t.Fatal(err)
	}
	after := pendingIDs(t, ctx, chain, cfg)
	if len(after) != 2 || after["c?"] != ids["c?"] || after["b2?"] == "" || after["b2?"] == ids["b1?"] {
		t.Fatalf("pending after answering b1: %v (before %v)", after, ids)
	}
	if _, err := chain.ResumeWith(ctx, cfg, graph.ResumeMap{ids["b1?"]: "again"}); err == nil {
		t.Fatal("answering an interrupt already answered: no error")
	}
	if _, err := chain.ResumeWith(ctx, cfg, graph.ResumeMap{after["c?"]: "z"}); err != nil {
		t.Fatal(err)
	}
	if left := pendingIDs(t, ctx, chain, cfg); len(left) != 1 || left["b2?"] != after["b2?"] {
		t.Fatalf("pending after answering c: %v", left)
	}
	out, err := chain.ResumeWith(ctx, cfg, "y")
	if want := []string{"b=x,y", "c=z"}; err != nil || !slices.Equal(out.Notes, want) {
		t.Fatalf("one at a time: %q, %v; want %q", out.Notes, err, want)
	}

	forks := map[string]func(graph.Config) error{
		"Fork": func(fork graph.Config) error {
			if _, err := chain.Fork(ctx, start.Config, fork.ThreadID); err != nil {
				return err
			}
			_, err := chain.Resume(ctx, fork)
			return err
		},
		"ResumeByCheckpointID": func(fork graph.Config) error {
			_, err := chain.Resume(ctx, graph.Config{ThreadID: fork.ThreadID, CheckpointID: start.Config.CheckpointID})
			return err
		},
	}
	for name, forkAndRun := range forks {
		fork := graph.Config{ThreadID: name}
		if err := forkAndRun(fork); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		forkIDs := pendingIDs(t, ctx, chain, fork)
		if len(forkIDs) != 2 || forkIDs["b1?"] == ids["b1?"] {
			t.Fatalf("%s: pending on the fork: %v", name, forkIDs)
		}
		if _, err := chain.ResumeWith(ctx, fork, graph.ResumeMap{forkIDs["b1?"]: "x", forkIDs["c?"]: "z"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		left := pendingIDs(t, ctx, chain, fork)
		if len(left) != 1 || left["b2?"] == "" {
			t.Fatalf("%s: pending on the fork after both answers: %v", name, left)
		}
		out, err := chain.ResumeWith(ctx, fork, graph.ResumeMap{left["b2?"]: "y"})
		if want := []string{"b=x,y", "c=z"}; err != nil || !slices.Equal(out.Notes, want) {
			t.Fatalf("%s: both at once on the fork: %q, %v; want %q", name, out.Notes, err, want)
		}
	}
}
