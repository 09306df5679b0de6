package graph_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// leaseSpy is a saver.Committer that reports the lease ops of the commits
// made through it, and can swallow renewals (commits holding only a lease
// op that does not release), as if they were lost.
type leaseSpy struct {
	*memory.Saver
	mu      sync.Mutex
	leases  []saver.LeaseOp // the lease op of every commit, in order
	renewed chan time.Time  // the Until of each renewal (lease op alone, not a release)
	swallow bool
}

func newLeaseSpy() *leaseSpy {
	return &leaseSpy{Saver: memory.New(), renewed: make(chan time.Time, 100)}
}

func (s *leaseSpy) Commit(ctx context.Context, ops []saver.Op) ([]saver.Config, error) {
	s.mu.Lock()
	for _, op := range ops {
		if op.Lease != nil {
			s.leases = append(s.leases, *op.Lease)
		}
	}
	renewal := len(ops) == 1 && ops[0].Lease != nil && !ops[0].Lease.Until.IsZero()
	swallow := s.swallow && renewal
	s.mu.Unlock()
	if swallow {
		return nil, nil
	}
	out, err := s.Saver.Commit(ctx, ops)
	if err == nil && renewal {
		s.renewed <- ops[0].Lease.Until
	}
	return out, err
}

// A run whose node runs longer than its lease keeps the thread: it renews
// its claim from a timer, so another call is still refused, and the run's
// last commit releases the thread.
func TestALongNodeRenewsItsLease(t *testing.T) {
	t.Parallel()
	spy := newLeaseSpy()
	started, release := make(chan struct{}), make(chan struct{})
	g := graph.New[ChatState]()
	g.AddNode("chat", func(ctx context.Context, s ChatState) (ChatState, error) {
		if last(s) == "slow" {
			close(started)
			<-release
		}
		return echo(ctx, s)
	})
	g.AddEdge(graph.START, "chat")
	const lease = 3 * time.Second
	chain, err := g.Compile(graph.WithCheckpointer(spy), graph.WithRunLease(lease))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	done := make(chan error, 1)
	go func() {
		_, err := chain.Invoke(ctx, human("slow"), cfg)
		done <- err
	}()
	<-started
	spy.mu.Lock()
	claimed := spy.leases[0].Until
	spy.mu.Unlock()
	var until time.Time
	for range 2 {
		until = <-spy.renewed
	}
	if !until.After(claimed) {
		t.Fatalf("renewed until %v, not after the claim's %v", until, claimed)
	}
	_, err = chain.Invoke(ctx, human("other"), cfg)
	var busy *saver.BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("a call while the run renews its lease: err = %v, want a *saver.BusyError", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	spy.mu.Lock()
	lastOp := spy.leases[len(spy.leases)-1]
	spy.mu.Unlock()
	if !lastOp.Until.IsZero() {
		t.Fatalf("the run's last lease op holds the thread until %v, want a release", lastOp.Until)
	}
	if _, err := chain.Invoke(ctx, human("after"), cfg); err != nil {
		t.Fatalf("a call after the run: %v", err)
	}
	assertTurnsAlternate(t, chain, cfg, 2)
}

// A run that stored a step and then lost its thread (its lease lapsed and
// another run took it) fails with a *graph.ConflictError naming the last
// checkpoint it stored, matching saver.ErrConflict; the step stays stored.
func TestARunThatLostItsThreadSaysWhatItStored(t *testing.T) {
	t.Parallel()
	spy := newLeaseSpy()
	started, release := make(chan struct{}), make(chan struct{})
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", func(ctx context.Context, s NoteState) (NoteState, error) {
		close(started)
		<-release
		return NoteState{Notes: []string{"b"}}, nil
	})
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	g.AddReducer("sum", graph.ReducerFunc(func(a, b int) int { return a + b }))
	chain, err := g.Compile(graph.WithCheckpointer(spy), graph.WithRunLease(300*time.Millisecond), graph.WithDurability(graph.DurabilitySync))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	done := make(chan error, 1)
	go func() {
		_, err := chain.Invoke(ctx, NoteState{}, cfg)
		done <- err
	}()
	<-started
	spy.mu.Lock()
	spy.swallow = true // the run's renewals get lost: its lease lapses
	spy.mu.Unlock()
	intruder := []saver.Op{{Lease: &saver.LeaseOp{ThreadID: "t", RunID: "intruder", Until: time.Now().Add(time.Hour)}}}
	for {
		_, err := spy.Saver.Commit(ctx, intruder)
		var busy *saver.BusyError
		if !errors.As(err, &busy) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		<-time.After(time.Until(busy.Until)) // the run's lease lapses then
		intruder[0].Lease.Until = time.Now().Add(time.Hour)
	}
	head, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	err = <-done
	var ce *graph.ConflictError
	if !errors.Is(err, saver.ErrConflict) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *graph.ConflictError", err)
	}
	if ce.Stored.CheckpointID == "" || ce.Stored.CheckpointID != head.Config.CheckpointID || !strings.Contains(err.Error(), ce.Stored.CheckpointID) {
		t.Fatalf("the error names %+v, want the head %s: %v", ce.Stored, head.Config.CheckpointID, err)
	}
	if !slicesEqual(head.Values.Notes, []string{"a"}) {
		t.Fatalf("stored notes %q, want a's", head.Values.Notes)
	}
	var busy *saver.BusyError
	if !errors.As(err, &busy) || busy.RunID != "intruder" {
		t.Fatalf("err = %v, want the intruder's *saver.BusyError as its cause", err)
	}
}

// UpdateState is refused while a run holds the thread, and writes nothing.
func TestUpdateStateIsRefusedWhileARunHoldsTheThread(t *testing.T) {
	t.Parallel()
	s := memory.New()
	chain := echoGraphs(t, nil, s)[0]
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("one"), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, []saver.Op{{Lease: &saver.LeaseOp{ThreadID: "t", RunID: "running", Until: time.Now().Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	_, err := chain.UpdateState(ctx, cfg, human("edit"), "")
	var busy *saver.BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("err = %v, want a *saver.BusyError", err)
	}
	assertTurnsAlternate(t, chain, cfg, 1)
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}
