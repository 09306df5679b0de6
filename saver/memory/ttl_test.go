package memory_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"

	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/ttltest"
	"github.com/jetgraph/jetgraph/saver/memory"
)

func TestRetention(t *testing.T) {
	ttltest.Run(t, func(t *testing.T) ttltest.Opener {
		log := memory.NewLog() // the store: instances share it
		return func(t *testing.T, r eventstore.Retention) ttltest.Instance {
			s := eventstore.New(log, eventstore.Options{Retention: r})
			t.Cleanup(func() { s.Close(t.Context()) })
			return s
		}
	})
}

func TestNewWithRetention(t *testing.T) {
	var clock ttltest.Clock
	s := memory.NewWith(memory.Config{Store: eventstore.Options{Retention: eventstore.Retention{TTL: ttltest.TTL, SweepEvery: -1, Now: clock.Now}}})
	defer s.Close(t.Context())
	if s.Retention().TTL != ttltest.TTL {
		t.Fatalf("retention %+v", s.Retention())
	}
	if n, err := s.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep of an empty saver: %d, %v", n, err)
	}
}

// The memory saver is an Activity log: its own retention works without
// the store being told anything else.
func TestMemorySaverReportsAppendTimes(t *testing.T) {
	l := memory.NewLog()
	var _ eventstore.Activity = l
	before := time.Now()
	if _, err := l.Append(t.Context(), "t", 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	seq, at, err := l.LastAppend(t.Context(), "t")
	if err != nil || seq != 1 || at.Before(before) || at.After(time.Now()) {
		t.Fatalf("LastAppend = %d, %v, %v; appended after %v", seq, at, err, before)
	}
}

// A graph on a saver with a TTL: an idle conversation expires; the next
// invoke on its id starts afresh, without the old turns.
func TestGraphConversationExpires(t *testing.T) {
	type State struct {
		Notes []string `graph:"notes,reducer=append"`
	}
	ctx := t.Context()
	var clock ttltest.Clock
	s := memory.NewWith(memory.Config{Store: eventstore.Options{Retention: eventstore.Retention{TTL: ttltest.TTL, SweepEvery: -1, Now: clock.Now}}})
	defer s.Close(ctx)
	g := graph.New[State]()
	g.AddNode("reply", func(_ context.Context, st State) (State, error) {
		return State{Notes: []string{fmt.Sprint("reply to ", len(st.Notes))}}, nil
	})
	g.AddEdge(graph.START, "reply")
	g.AddEdge("reply", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{ThreadID: "user-1"}
	clock.Skip(-time.Hour) // fresh however slow the machine, until the test moves the clock
	if out, err := chain.Invoke(ctx, State{Notes: []string{"hi"}}, cfg); err != nil || !slices.Equal(out.Notes, []string{"hi", "reply to 1"}) {
		t.Fatalf("first turn: %v, %v", out.Notes, err)
	}
	clock.Skip(ttltest.TTL + time.Second)
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d expired, %v", n, err)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil || len(snap.Values.Notes) != 0 {
		t.Fatalf("state of the expired conversation: %v, %v", snap.Values.Notes, err)
	}
	out, err := chain.Invoke(ctx, State{Notes: []string{"hello again"}}, cfg)
	if err != nil || !slices.Equal(out.Notes, []string{"hello again", "reply to 1"}) {
		t.Fatalf("turn after expiry: %v, %v; want a fresh conversation", out.Notes, err)
	}
}
