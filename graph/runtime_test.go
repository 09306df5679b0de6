package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
)

// NoteState is a state for the runtime tests.
type NoteState struct {
	Notes []string `graph:"notes,reducer=append"`
	Item  string   `graph:"item"`
	Count int      `graph:"count,reducer=sum"`
	Flag  bool     `graph:"flag"`
}

func note(name string) graph.NodeFunc[NoteState] {
	return func(context.Context, NoteState) (NoteState, error) {
		return NoteState{Notes: []string{name}}, nil
	}
}

func compileNotes(t *testing.T, g *graph.StateGraph[NoteState], opts ...graph.Option) *graph.Graph[NoteState] {
	t.Helper()
	g.AddReducer("sum", graph.ReducerFunc(func(a, b int) int { return a + b }))
	chain, err := g.Compile(append([]graph.Option{graph.WithCheckpointer(newSaver())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// A one-node invoke stores three checkpoints (input, step 0, step 1). In
// sync mode that takes two appends: the input with step 0 before the node
// runs, then the node's writes with step 1. The async writer (the default)
// joins what queued up while it was busy, so it takes one or two; exit
// mode takes one.
func TestOneNodeInvokeIsThreeCheckpointsInAtMostTwoAppends(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode        graph.Durability
		least, most int
	}{
		{graph.DurabilitySync, 2, 2},
		{graph.DurabilityAsync, 1, 2},
		{graph.DurabilityExit, 1, 1},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			chain, s := newChat(t)
			ctx := context.Background()
			if _, err := chain.Invoke(ctx, human("hi"), graph.Config{ThreadID: "t"}, tc.mode); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, err := range chain.GetStateHistory(ctx, graph.Config{ThreadID: "t"}, nil) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if appends := len(eventsOf(s, "t")); n != 3 || appends < tc.least || appends > tc.most {
				t.Fatalf("checkpoints = %d, appends = %d; want 3 and %d..%d", n, appends, tc.least, tc.most)
			}
		})
	}
}

func TestStorageGrowsWithWhatChanged(t *testing.T) {
	t.Parallel()
	chain, s := newChat(t)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	text := strings.Repeat("x", 200)
	turnBytes := func() int {
		before := len(eventsOf(s, "t"))
		if _, err := chain.Invoke(ctx, human(text), cfg); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range eventsOf(s, "t")[before:] {
			n += len(ev.Payload)
		}
		return n
	}
	first := 0
	for i := range 200 {
		n := turnBytes()
		if i == 5 {
			first = n
		}
		if i > 5 && n > first+first/2 {
			t.Fatalf("turn %d stored %d bytes, turn 5 stored %d: storage grows with the conversation", i, n, first)
		}
	}
}

func TestParallelBranchesJoin(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	for _, n := range []string{"a", "b", "b2", "c", "d"} {
		g.AddNode(n, note(n))
	}
	g.AddEdge(graph.START, "a")
	g.AddEdge(graph.START, "b")
	g.AddEdge("a", "c")
	g.AddEdge("b", "b2")
	g.AddJoinEdge([]string{"c", "b2"}, "d")
	g.AddEdge("d", graph.END)
	chain := compileNotes(t, g)
	out, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "b2", "c", "d"}; !slices.Equal(out.Notes, want) {
		t.Fatalf("notes = %q, want %q", out.Notes, want)
	}
}

func TestSendRunsOneTaskPerItem(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("plan", func(context.Context, NoteState) (NoteState, error) { return NoteState{Flag: true}, nil })
	g.AddNode("work", func(_ context.Context, s NoteState) (NoteState, error) {
		return NoteState{Notes: []string{"did " + s.Item}, Count: 1}, nil
	})
	g.AddEdge(graph.START, "plan")
	g.AddSendEdges("plan", func(context.Context, NoteState) []graph.Send[NoteState] {
		var out []graph.Send[NoteState]
		for _, it := range []string{"x", "y", "z"} {
			out = append(out, graph.Send[NoteState]{Node: "work", Input: NoteState{Item: it}})
		}
		return out
	}, "work")
	chain := compileNotes(t, g)
	out, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"did x", "did y", "did z"}; !slices.Equal(out.Notes, want) || out.Count != 3 {
		t.Fatalf("out = %+v, want notes %q and count 3", out, want)
	}
}

func TestConditionalEdgesRouteToSeveralNodesOrEnd(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	for _, n := range []string{"router", "x", "y", "z"} {
		g.AddNode(n, note(n))
	}
	g.AddEdge(graph.START, "router")
	g.AddConditionalEdges("router", func(_ context.Context, s NoteState) []string {
		if s.Item == "stop" {
			return []string{graph.END}
		}
		return []string{"y", "x"}
	}, "x", "y", "z", graph.END)
	chain := compileNotes(t, g)
	ctx := context.Background()
	out, err := chain.Invoke(ctx, NoteState{}, graph.Config{ThreadID: "t1"})
	if err != nil || !slices.Equal(out.Notes, []string{"router", "x", "y"}) {
		t.Fatalf("notes = %q, err = %v", out.Notes, err)
	}
	out, err = chain.Invoke(ctx, NoteState{Item: "stop"}, graph.Config{ThreadID: "t2"})
	if err != nil || !slices.Equal(out.Notes, []string{"router"}) {
		t.Fatalf("notes = %q, err = %v", out.Notes, err)
	}
}

func TestRecursionLimitStopsALoop(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("again", note("again"))
	g.AddEdge(graph.START, "again")
	g.AddEdge("again", "again")
	chain := compileNotes(t, g, graph.WithRecursionLimit(5))
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	_, err := chain.Invoke(ctx, NoteState{}, cfg)
	if !errors.Is(err, graph.ErrRecursionLimit) {
		t.Fatalf("err = %v, want ErrRecursionLimit", err)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil || len(snap.Values.Notes) != 5 || !slices.Equal(snap.Next, []string{"again"}) {
		t.Fatalf("state after the limit: %+v, %v", snap, err)
	}
}

func TestCancelStopsTheRunCleanly(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	block := true
	g := graph.New[NoteState]()
	g.AddNode("first", note("first"))
	g.AddNode("slow", func(ctx context.Context, s NoteState) (NoteState, error) {
		if block {
			close(started)
			<-ctx.Done()
			return NoteState{}, ctx.Err()
		}
		return NoteState{Notes: []string{"slow"}}, nil
	})
	g.AddEdge(graph.START, "first")
	g.AddEdge("first", "slow")
	chain := compileNotes(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := graph.Config{ThreadID: "t"}
	go func() { <-started; cancel() }()
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	snap, err := chain.GetState(context.Background(), cfg)
	if err != nil || !slices.Equal(snap.Values.Notes, []string{"first"}) || snap.Tasks[0].Error != "" {
		t.Fatalf("state after cancel: %+v, %v", snap, err)
	}
	block = false
	out, err := chain.Resume(context.Background(), cfg)
	if err != nil || !slices.Equal(out.Notes, []string{"first", "slow"}) {
		t.Fatalf("resume: %q, %v", out.Notes, err)
	}
}

// Run A holds its thread from its first commit, made before its node
// runs, to its last (sync and async modes): run B, sent while A's node
// runs, is refused with a *saver.BusyError and stores nothing, and A ends
// normally (LangGraph's "reject" double-texting strategy).
func TestARunHoldsItsThreadUntilItEnds(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			chain, errA, errB := raceTwoRuns(t, mode)
			var busy *saver.BusyError
			if !errors.Is(errB, saver.ErrConflict) || !errors.As(errB, &busy) {
				t.Fatalf("run B: err = %v, want a *saver.BusyError", errB)
			}
			if err := <-errA; err != nil {
				t.Fatalf("run A: %v", err)
			}
			if got := humanTurns(latest(t, chain)); !slices.Equal(got, []string{"A"}) {
				t.Fatalf("conversation %q, want A's turn only", got)
			}
			assertOneLine(t, chain, graph.Config{ThreadID: "t"})
		})
	}
}

// An exit run stores, and claims its thread, only at its end: run B runs
// while A's node runs, and A's commit is then refused (the head moved):
// A fails with saver.ErrConflict, stores nothing and is not retried.
func TestAnExitRunFailsWhenTheThreadMovedOn(t *testing.T) {
	t.Parallel()
	chain, errA, errB := raceTwoRuns(t, graph.DurabilityExit)
	if errB != nil {
		t.Fatalf("run B: %v", errB)
	}
	if err := <-errA; !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("run A: err = %v, want saver.ErrConflict", err)
	}
	if got := humanTurns(latest(t, chain)); !slices.Equal(got, []string{"B"}) {
		t.Fatalf("conversation %q, want B's turn only", got)
	}
	assertOneLine(t, chain, graph.Config{ThreadID: "t"})
}

// raceTwoRuns starts run A ("A") on thread t, runs B ("B") while A's node
// is held, then lets A go and returns A's error channel and B's error.
func raceTwoRuns(t *testing.T, mode graph.Durability) (*graph.Graph[ChatState], <-chan error, error) {
	t.Helper()
	inA := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	g := graph.New[ChatState]()
	g.AddNode("chat", func(ctx context.Context, s ChatState) (ChatState, error) {
		if last(s) == "A" {
			once.Do(func() { // A's first try waits for B; a second does not
				close(inA)
				<-release
			})
		}
		return chat(ctx, s)
	})
	g.AddEdge(graph.START, "chat")
	chain, err := g.Compile(graph.WithCheckpointer(newSaver()), graph.WithDurability(mode))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	errA := make(chan error, 1)
	go func() {
		_, err := chain.Invoke(ctx, human("A"), cfg)
		errA <- err
	}()
	<-inA
	_, errB := chain.Invoke(ctx, human("B"), cfg)
	close(release)
	return chain, errA, errB
}

func latest(t *testing.T, chain *graph.Graph[ChatState]) ChatState {
	t.Helper()
	snap, err := chain.GetState(context.Background(), graph.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return snap.Values
}

func TestResumeRerunsOnlyUnfinishedTasks(t *testing.T) {
	t.Parallel()
	var runsA, runsB atomic.Int32
	g := graph.New[NoteState]()
	g.AddNode("a", func(context.Context, NoteState) (NoteState, error) {
		runsA.Add(1)
		return NoteState{Notes: []string{"a"}}, nil
	})
	g.AddNode("b", func(context.Context, NoteState) (NoteState, error) {
		if runsB.Add(1) == 1 {
			return NoteState{}, errors.New("flaky")
		}
		return NoteState{Notes: []string{"b"}}, nil
	})
	g.AddEdge(graph.START, "a")
	g.AddEdge(graph.START, "b")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err == nil || !strings.Contains(err.Error(), "flaky") {
		t.Fatalf("err = %v, want flaky", err)
	}
	snap, _ := chain.GetState(ctx, cfg)
	if !slices.Equal(snap.Next, []string{"b"}) || !slices.Equal(snap.Values.Notes, []string{"a"}) {
		t.Fatalf("after failure: next %q values %q", snap.Next, snap.Values.Notes)
	}
	out, err := chain.Resume(ctx, cfg)
	if err != nil || !slices.Equal(out.Notes, []string{"a", "b"}) || runsA.Load() != 1 || runsB.Load() != 2 {
		t.Fatalf("resume: %q %v, runs a=%d b=%d", out.Notes, err, runsA.Load(), runsB.Load())
	}
}

func TestParallelWritesApplyInNodeOrder(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	wg.Add(1)
	g := graph.New[NoteState]()
	g.AddNode("a", func(context.Context, NoteState) (NoteState, error) {
		wg.Wait() // finishes after b
		return NoteState{Notes: []string{"a"}}, nil
	})
	g.AddNode("b", func(context.Context, NoteState) (NoteState, error) {
		defer wg.Done()
		return NoteState{Notes: []string{"b"}}, nil
	})
	g.AddEdge(graph.START, "a")
	g.AddEdge(graph.START, "b")
	chain := compileNotes(t, g)
	out, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{ThreadID: "t"})
	if err != nil || !slices.Equal(out.Notes, []string{"a", "b"}) {
		t.Fatalf("notes = %q, err = %v", out.Notes, err)
	}
}

func TestTwoNodesWritingALastValueChannelIsAnError(t *testing.T) {
	t.Parallel()
	set := func(v string) graph.NodeFunc[NoteState] {
		return func(context.Context, NoteState) (NoteState, error) { return NoteState{Item: v}, nil }
	}
	g := graph.New[NoteState]()
	g.AddNode("a", set("a"))
	g.AddNode("b", set("b"))
	g.AddEdge(graph.START, "a")
	g.AddEdge(graph.START, "b")
	chain := compileNotes(t, g)
	_, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{ThreadID: "t"})
	if err == nil || !strings.Contains(err.Error(), `channel "item": nodes "a" and "b"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteZeroWritesAZeroValue(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("clear", func(ctx context.Context, s NoteState) (NoteState, error) {
		graph.WriteZero(ctx, "flag", "item")
		return NoteState{}, nil
	})
	g.AddEdge(graph.START, "clear")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	out, err := chain.Invoke(ctx, NoteState{Flag: true, Item: "x"}, cfg)
	if err != nil || out.Flag || out.Item != "" {
		t.Fatalf("out = %+v, err = %v", out, err)
	}
}

func TestStreamYieldsEachStep(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", note("b"))
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	chain := compileNotes(t, g)
	ctx := context.Background()
	var got []string
	for part, err := range chain.Stream(ctx, &NoteState{}, graph.Config{ThreadID: "t1"}, graph.StreamUpdates) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, part.Node+"="+strings.Join(part.Values.Notes, ","))
	}
	if want := []string{"a=a", "b=b"}; !slices.Equal(got, want) {
		t.Fatalf("updates = %q, want %q", got, want)
	}
	var sizes []int
	for part, err := range chain.Stream(ctx, &NoteState{Item: "in"}, graph.Config{ThreadID: "t2"}, graph.StreamValues) {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(part.Values.Notes))
		if len(sizes) == 2 {
			break // stops the run after this step
		}
	}
	snap, _ := chain.GetState(ctx, graph.Config{ThreadID: "t2"})
	if !slices.Equal(sizes, []int{0, 1}) || !slices.Equal(snap.Next, []string{"b"}) {
		t.Fatalf("values sizes = %v, next after break = %q", sizes, snap.Next)
	}
}

func TestUpdateStateInfersTheNodeThatRanLast(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", note("b"))
	g.AddNode("c", note("c"))
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	g.AddEdge("b", graph.END)
	g.AddEdge("c", graph.END)
	g.AddConditionalEdges("a", func(context.Context, NoteState) []string { return nil }, "c")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	next, err := chain.UpdateState(ctx, cfg, NoteState{Notes: []string{"edit"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := chain.GetState(ctx, next)
	if snap.Metadata.Source != saver.SourceUpdate || len(snap.Next) != 0 || !slices.Equal(snap.Values.Notes, []string{"a", "b", "edit"}) {
		t.Fatalf("after update as b: %+v", snap)
	}
	if _, err := chain.UpdateState(ctx, cfg, NoteState{}, "a"); err != nil {
		t.Fatal(err)
	}
	snap, _ = chain.GetState(ctx, cfg)
	if !slices.Equal(snap.Next, []string{"b"}) {
		t.Fatalf("after update as a: next = %q, want [b]", snap.Next)
	}
}

func TestReplayFromTheFinalCheckpointWritesNothing(t *testing.T) {
	t.Parallel()
	chain, s := newChat(t)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("hi"), cfg); err != nil {
		t.Fatal(err)
	}
	head, _ := chain.GetState(ctx, cfg)
	before := len(eventsOf(s, "t"))
	out, err := chain.Resume(ctx, head.Config)
	if err != nil || len(out.Messages) != 2 || len(eventsOf(s, "t")) != before {
		t.Fatalf("replay of the end: %d messages, err %v, events %d -> %d", len(out.Messages), err, before, len(eventsOf(s, "t")))
	}
}

// plainSaver hides the optional interfaces of a saver.
type plainSaver struct{ saver.Saver }

func TestForkWithoutForkerWritesAForkCheckpoint(t *testing.T) {
	t.Parallel()
	chain, err := chatGraph().Compile(graph.WithCheckpointer(plainSaver{newSaver()}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("My color is blue."), cfg); err != nil {
		t.Fatal(err)
	}
	forked, err := chain.Fork(ctx, cfg, "copy")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := chain.GetState(ctx, forked)
	if snap.Metadata.Source != saver.SourceFork || len(snap.Values.Messages) != 2 || snap.ParentConfig != nil {
		t.Fatalf("fork = %+v", snap)
	}
	out, err := chain.Invoke(ctx, human("What's my color?"), graph.Config{ThreadID: "copy"})
	if err != nil || last(out) != "Your color is blue." {
		t.Fatalf("forked thread: %q %v", last(out), err)
	}
	if _, err := chain.Fork(ctx, cfg, "copy"); !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("fork onto an existing thread: %v, want ErrConflict", err)
	}
}

func TestGraphRunsWithoutCheckpointer(t *testing.T) {
	t.Parallel()
	chain, err := chatGraph().Compile()
	if err != nil {
		t.Fatal(err)
	}
	out, err := chain.Invoke(context.Background(), human("I'm Bo"), graph.Config{})
	if err != nil || last(out) != "Nice to meet you, Bo." {
		t.Fatalf("%q %v", last(out), err)
	}
	if _, err := chain.GetState(context.Background(), graph.Config{ThreadID: "t"}); !errors.Is(err, graph.ErrNoCheckpointer) {
		t.Fatalf("GetState: %v", err)
	}
}

func TestMessagesKeepTheirIDsAcrossTurns(t *testing.T) {
	t.Parallel()
	chain, _ := newChat(t)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	first, _ := chain.Invoke(ctx, human("a"), cfg)
	second, _ := chain.Invoke(ctx, human("b"), cfg)
	if len(second.Messages) != 4 || second.Messages[0].ID != first.Messages[0].ID || second.Messages[0].ID == "" {
		t.Fatalf("ids changed: %+v vs %+v", first.Messages, second.Messages)
	}
	edit := second.Messages[0]
	edit.Content = "A"
	if _, err := chain.UpdateState(ctx, cfg, ChatState{Messages: []message.Message{edit}}, ""); err != nil {
		t.Fatal(err)
	}
	snap, _ := chain.GetState(ctx, cfg)
	if len(snap.Values.Messages) != 4 || snap.Values.Messages[0].Content != "A" {
		t.Fatalf("edit by id: %+v", snap.Values.Messages)
	}
}
