package graph_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// sharedLog is one event log that several stores (processes) use. It
// counts the reads that ask the log for a thread's newest sequence.
type sharedLog struct {
	*memory.Log
	lastSeqs atomic.Int64
}

func (l *sharedLog) LastSeq(ctx context.Context, thread string) (uint64, error) {
	l.lastSeqs.Add(1)
	return l.Log.LastSeq(ctx, thread)
}

// process compiles the chat graph over its own store on log, as another
// process would.
func process(t *testing.T, log eventstore.Log, mode graph.Durability) *graph.Graph[ChatState] {
	t.Helper()
	chain, err := chatGraph().Compile(graph.WithCheckpointer(eventstore.New(log, eventstore.Options{})), graph.WithDurability(mode))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

var modes = []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit}

// humanTurns lists what the human said.
func humanTurns(s ChatState) []string {
	var out []string
	for _, m := range s.Messages {
		if m.Role == message.RoleHuman {
			out = append(out, m.Content)
		}
	}
	return out
}

// assertOneLine fails unless the thread's history is one line: every
// checkpoint's parent is the one listed after it.
func assertOneLine(t *testing.T, chain *graph.Graph[ChatState], cfg graph.Config) {
	t.Helper()
	var parent string
	for snap, err := range chain.GetStateHistory(t.Context(), cfg, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if parent != "" && parent != snap.Config.CheckpointID {
			t.Fatalf("history branches: %s is not the parent named before it (%s)", snap.Config.CheckpointID, parent)
		}
		parent = ""
		if snap.ParentConfig != nil {
			parent = snap.ParentConfig.CheckpointID
		}
	}
}

// A process answers an invoke from the thread as it last saw it, without
// asking the log (sync and async modes); when another process moved the
// thread on meanwhile, its first commit, stored before any node runs, is
// refused and it starts over from the log, so no turn is lost and no
// branch is made. An exit run reads the log first.
func TestInvokeBuildsOnTurnsAnotherProcessAdded(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			log := &sharedLog{Log: memory.NewLog()}
			a, b := process(t, log, mode), process(t, log, mode)
			cfg := graph.Config{ThreadID: "t"}
			for i, turn := range []struct {
				on   *graph.Graph[ChatState]
				text string
			}{{a, "one"}, {a, "two"}, {b, "three"}, {a, "four"}, {b, "five"}, {b, "six"}} {
				out, err := turn.on.Invoke(ctx, human(turn.text), cfg)
				if err != nil {
					t.Fatalf("turn %d: %v", i, err)
				}
				if want := []string{"one", "two", "three", "four", "five", "six"}[:i+1]; !slices.Equal(humanTurns(out), want) {
					t.Fatalf("turn %d: conversation %q, want %q", i, humanTurns(out), want)
				}
			}
			assertOneLine(t, a, cfg)
		})
	}
}

// On a thread only this process writes, an invoke asks the log nothing
// before it appends, in the modes that store the input before any node
// runs. (An exit run reads the head from the log: see
// TestNoNodeRunsOnAStateTheThreadNeverHad.)
func TestInvokeOnACachedThreadDoesNotReadTheLog(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			log := &sharedLog{Log: memory.NewLog()}
			a := process(t, log, mode)
			cfg := graph.Config{ThreadID: "t"}
			if _, err := a.Invoke(t.Context(), human("one"), cfg); err != nil {
				t.Fatal(err)
			}
			before := log.lastSeqs.Load()
			if _, err := a.Invoke(t.Context(), human("two"), cfg); err != nil {
				t.Fatal(err)
			}
			if n := log.lastSeqs.Load() - before; n != 0 {
				t.Fatalf("a cached invoke read the log's last sequence %d times, want 0", n)
			}
		})
	}
}

// A stream, too, starts from the cache: as in an Invoke, its first
// commit is stored before any node runs and before any step is shown, so
// a stale cache costs a restart the caller never sees.
func TestAsyncStreamStartsFromTheCache(t *testing.T) {
	t.Parallel()
	log := &sharedLog{Log: memory.NewLog()}
	a := process(t, log, graph.DurabilityAsync)
	cfg := graph.Config{ThreadID: "t"}
	if _, err := a.Invoke(t.Context(), human("one"), cfg); err != nil {
		t.Fatal(err)
	}
	before := log.lastSeqs.Load()
	in := human("two")
	for _, err := range a.Stream(t.Context(), &in, cfg, graph.StreamValues) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := log.lastSeqs.Load() - before; n != 0 {
		t.Fatalf("an async stream on a cached thread read the log's last sequence %d times, want 0", n)
	}
}
