package graph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// echo answers the last human message, naming it, so that a reply shows
// which message it answered.
func echo(_ context.Context, s ChatState) (ChatState, error) {
	return ChatState{Messages: []message.Message{message.AI("re: " + last(s))}}, nil
}

// echoGraphs compiles the echo graph over each saver.
func echoGraphs(t *testing.T, opts []graph.Option, savers ...saver.Saver) []*graph.Graph[ChatState] {
	t.Helper()
	var out []*graph.Graph[ChatState]
	for _, s := range savers {
		g := graph.New[ChatState]()
		g.AddNode("chat", echo)
		g.AddEdge(graph.START, "chat")
		chain, err := g.Compile(append([]graph.Option{graph.WithCheckpointer(s)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, chain)
	}
	return out
}

// assertTurnsAlternate fails unless the thread's messages alternate human,
// AI, each AI message answering the human one before it, and there are
// 2 x successes of them.
func assertTurnsAlternate(t *testing.T, chain *graph.Graph[ChatState], cfg graph.Config, successes int) {
	t.Helper()
	snap, err := chain.GetState(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := snap.Values.Messages
	for i, m := range msgs {
		want := message.RoleHuman
		if i%2 == 1 {
			want = message.RoleAI
		}
		if m.Role != want {
			t.Fatalf("message %d is %s %q, want a %s message: runs interleaved", i, m.Role, m.Content, want)
		}
		if i%2 == 1 && m.Content != "re: "+msgs[i-1].Content {
			t.Fatalf("message %d %q answers another turn than %q", i, m.Content, msgs[i-1].Content)
		}
	}
	if len(msgs) != 2*successes {
		t.Fatalf("%d messages for %d successful calls", len(msgs), successes)
	}
}

// Runs never interleave: many goroutines invoking one thread, in one or
// two processes, on memory and on a SQLite file, in every durability mode:
// each call either succeeds or fails with saver.ErrConflict, and the
// thread holds exactly the successful turns, each answered by its own
// reply.
func TestConcurrentInvokesNeverInterleave(t *testing.T) {
	t.Parallel()
	const goroutines, rounds = 8, 4
	type setup struct {
		name string
		open func(t *testing.T) []saver.Saver
	}
	setups := []setup{{"memory", func(*testing.T) []saver.Saver { return []saver.Saver{memory.New()} }}}
	for _, st := range sharedStores {
		setups = append(setups,
			setup{st.name + "/one process", func(t *testing.T) []saver.Saver { a, _ := st.open(t); return []saver.Saver{a} }},
			setup{st.name + "/two processes", func(t *testing.T) []saver.Saver { a, b := st.open(t); return []saver.Saver{a, b} }},
		)
	}
	for _, su := range setups {
		for _, mode := range []graph.Durability{"", graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
			name := string(mode)
			if name == "" {
				name = "default"
			}
			t.Run(su.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				var opts []graph.Option
				if mode != "" {
					opts = append(opts, graph.WithDurability(mode))
				}
				chains := echoGraphs(t, opts, su.open(t)...)
				cfg := graph.Config{ThreadID: "t"}
				successes := 0
				for r := range rounds {
					var wg sync.WaitGroup
					errs := make([]error, goroutines)
					for i := range goroutines {
						wg.Go(func() {
							_, errs[i] = chains[i%len(chains)].Invoke(t.Context(), human(fmt.Sprintf("g%d r%d", i, r)), cfg)
						})
					}
					wg.Wait()
					for i, err := range errs {
						switch {
						case err == nil:
							successes++
						case !errors.Is(err, saver.ErrConflict):
							t.Fatalf("round %d goroutine %d: %v, want success or saver.ErrConflict", r, i, err)
						}
					}
				}
				if successes == 0 {
					t.Fatal("no call succeeded")
				}
				assertTurnsAlternate(t, chains[0], cfg, successes)
			})
		}
	}
}

// Two processes answering one interrupt at once: exactly one ResumeWith
// runs the node on, the other fails with saver.ErrConflict.
func TestTwoResumesOfOneInterruptOneWins(t *testing.T) {
	t.Parallel()
	for _, st := range sharedStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			sa, sb := st.open(t)
			lost := make(chan struct{}) // closed when a call fails
			var resumed sync.Mutex
			var answers []string
			compile := func(s saver.Saver) *graph.Graph[ChatState] {
				g := graph.New[ChatState]()
				g.AddNode("ask", func(ctx context.Context, _ ChatState) (ChatState, error) {
					answer, err := graph.Interrupt[string](ctx, "who?")
					if err != nil {
						return ChatState{}, err
					}
					resumed.Lock()
					answers = append(answers, answer)
					resumed.Unlock()
					select { // the winner holds the thread until the loser returned
					case <-lost:
					case <-ctx.Done():
					}
					return ChatState{Messages: []message.Message{message.AI("hi " + answer)}}, nil
				})
				g.AddEdge(graph.START, "ask")
				chain, err := g.Compile(graph.WithCheckpointer(s))
				if err != nil {
					t.Fatal(err)
				}
				return chain
			}
			a, b := compile(sa), compile(sb)
			cfg := graph.Config{ThreadID: "t"}
			var oc graph.Outcome
			if _, err := a.Invoke(t.Context(), human("hello"), cfg, graph.WithOutcome(&oc)); err != nil || !oc.Interrupted {
				t.Fatalf("invoke: %v, interrupted %v", err, oc.Interrupted)
			}
			var once sync.Once
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, chain := range []*graph.Graph[ChatState]{a, b} {
				wg.Go(func() {
					_, errs[i] = chain.ResumeWith(t.Context(), cfg, fmt.Sprint("answer ", i))
					if errs[i] != nil {
						once.Do(func() { close(lost) })
					}
				})
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("resume errors %v and %v: want exactly one to win", errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, saver.ErrConflict) {
					t.Fatalf("the losing resume: %v, want saver.ErrConflict", err)
				}
			}
			if len(answers) != 1 {
				t.Fatalf("the node went on with %q, want one answer", answers)
			}
			snap, err := b.GetState(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if last(snap.Values) != "hi "+answers[0] {
				t.Fatalf("the thread ends with %q", last(snap.Values))
			}
		})
	}
}

// A run that crashed holding its thread (a lease op stored and never
// released) blocks new input, which stores nothing, until the lease
// lapses; a call with WaitIfBusy waits for that and then runs.
func TestACrashedRunBlocksTheThreadUntilItsLeaseLapses(t *testing.T) {
	t.Parallel()
	s := memory.New()
	chain := echoGraphs(t, nil, s)[0]
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("one"), cfg); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(300 * time.Millisecond)
	if _, err := s.Commit(ctx, []saver.Op{{Lease: &saver.LeaseOp{ThreadID: "t", RunID: "crashed", Until: until}}}); err != nil {
		t.Fatal(err)
	}
	_, err := chain.Invoke(ctx, human("two"), cfg)
	var busy *saver.BusyError
	if !errors.Is(err, saver.ErrConflict) || !errors.As(err, &busy) || busy.RunID != "crashed" {
		t.Fatalf("err = %v, want a *saver.BusyError naming the crashed run", err)
	}
	assertTurnsAlternate(t, chain, cfg, 1)
	out, err := chain.Invoke(ctx, human("three"), cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("with WaitIfBusy: %v", err)
	}
	if time.Now().Before(until) {
		t.Fatal("the call ran before the crashed run's lease lapsed")
	}
	if got := humanTurns(out); len(got) != 2 || got[1] != "three" {
		t.Fatalf("conversation %q", got)
	}
	assertTurnsAlternate(t, chain, cfg, 2)
}

// A call that waits for a thread (WaitIfBusy) runs as soon as the run
// holding it, in the same graph, releases it: it does not wait for the
// lease to lapse, and it builds on that run's turn.
func TestWaitIfBusyRunsAfterTheHolderEnds(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	g := graph.New[ChatState]()
	g.AddNode("chat", func(ctx context.Context, s ChatState) (ChatState, error) {
		if last(s) == "first" {
			close(started)
			<-release
		}
		return echo(ctx, s)
	})
	g.AddEdge(graph.START, "chat")
	chain, err := g.Compile(graph.WithCheckpointer(memory.New()), graph.WithRunLease(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	first := make(chan error, 1)
	go func() {
		_, err := chain.Invoke(ctx, human("first"), cfg)
		first <- err
	}()
	<-started
	if _, err := chain.Invoke(ctx, human("refused"), cfg); !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("without WaitIfBusy: err = %v, want saver.ErrConflict", err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := chain.Invoke(ctx, human("second"), cfg, graph.WaitIfBusy())
		second <- err
	}()
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	assertTurnsAlternate(t, chain, cfg, 2)
	if got := humanTurns(latest(t, chain)); strings.Join(got, ",") != "first,second" {
		t.Fatalf("conversation %q", got)
	}
}

// A WaitIfBusy call ends with its context.
func TestWaitIfBusyHonoursTheContext(t *testing.T) {
	t.Parallel()
	s := memory.New()
	chain := echoGraphs(t, nil, s)[0]
	cfg := graph.Config{ThreadID: "t"}
	if _, err := s.Commit(t.Context(), []saver.Op{{Lease: &saver.LeaseOp{ThreadID: "t", RunID: "crashed", Until: time.Now().Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := chain.Invoke(ctx, human("x"), cfg, graph.WaitIfBusy())
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
