package graph_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// putValue stores, through the saver, a child of the thread's head whose
// messages channel holds b, and returns its config.
func putValue(t *testing.T, s saver.Saver, thread string, b []byte) saver.Config {
	return putChannel(t, s, thread, "messages", b)
}

// putChannel stores, through the saver, a child of the thread's head whose
// channel ch holds b, and returns its config.
func putChannel(t *testing.T, s saver.Saver, thread, ch string, b []byte) saver.Config {
	t.Helper()
	ctx := t.Context()
	head, err := s.GetTuple(ctx, saver.Config{ThreadID: thread})
	if err != nil {
		t.Fatal(err)
	}
	cp := head.Checkpoint
	cp.ID = saver.NewCheckpointID(cp.ID)
	cp.TS = time.Now().UTC()
	cp.ChannelValues = maps.Clone(cp.ChannelValues)
	cp.ChannelVersions = maps.Clone(cp.ChannelVersions)
	v := cp.ChannelVersions[ch] + 100
	cp.ChannelValues[ch] = b
	cp.ChannelVersions[ch] = v
	md := saver.Metadata{Source: saver.SourceUpdate, Step: head.Metadata.Step + 1}
	cfg, err := s.Put(ctx, saver.PutOp{Config: head.Config, Checkpoint: cp, Metadata: md, NewVersions: map[string]uint64{ch: v}})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// corruptThread makes a thread with one turn, then stores a checkpoint
// whose messages are bad, and returns the saver, the graph, the bad
// checkpoint's config and the good head before it.
func corruptThread(t *testing.T, bad []byte) (*graph.Graph[ChatState], *memory.Saver, saver.Config, saver.Config) {
	t.Helper()
	chain, s := newChat(t)
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("hi"), cfg); err != nil {
		t.Fatal(err)
	}
	good, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return chain, s, putValue(t, s, "t", bad), good.Config
}

// wantCorrupt fails unless err is a *saver.CorruptError naming the thread
// and checkpoint, and the sequence the saver reports for it.
func wantCorrupt(t *testing.T, s saver.Saver, err error, cfg saver.Config) {
	t.Helper()
	var ce *saver.CorruptError
	if !errors.Is(err, saver.ErrCorrupt) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *saver.CorruptError", err)
	}
	tu, gerr := s.GetTuple(t.Context(), cfg)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if ce.ThreadID != cfg.ThreadID || ce.CheckpointID != cfg.CheckpointID || ce.Seq != tu.Seq || ce.Seq == 0 {
		t.Fatalf("corrupt error names thread %q checkpoint %s seq %d, want %q %s %d", ce.ThreadID, ce.CheckpointID, ce.Seq, cfg.ThreadID, cfg.CheckpointID, tu.Seq)
	}
}

// Cell and Row are list items that msgpack decodes by reflection: it
// allocates a slice at the length the stored header declares.
type (
	Cell     struct{ A, B string }
	Row      struct{ Cells []Cell }
	RowState struct {
		Rows []Row `graph:"rows,reducer=append"`
	}
)

// A stored list channel whose item declares 2^32-1 elements (msgpack v5
// would allocate them all before reading one, and the process would die
// out of memory) is a *saver.CorruptError, for a graph that has the
// thread's list in its cache and for one that has not.
func TestForgedLengthIsAnErrorNotAnAllocation(t *testing.T) {
	t.Parallel()
	g := graph.New[RowState]()
	g.AddNode("row", func(context.Context, RowState) (RowState, error) {
		return RowState{Rows: []Row{{Cells: []Cell{{A: "a"}}}}}, nil
	})
	g.AddEdge(graph.START, "row")
	s := memory.New()
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, RowState{}, cfg); err != nil {
		t.Fatal(err)
	}
	head, err := s.GetTuple(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	forged := append([]byte{}, head.Checkpoint.ChannelValues["rows"]...) // the cached item, then:
	forged = append(forged, 0x81, 0xa5)                                  // {"Cells":
	forged = append(forged, "Cells"...)
	forged = append(forged, 0xdd, 0xff, 0xff, 0xff, 0xff) // an array of 2^32-1 cells, none there
	bad := putChannel(t, s, "t", "rows", forged)
	_, err = chain.GetState(ctx, cfg)
	wantCorrupt(t, s, err, bad)
	_, err = chain.Invoke(ctx, RowState{}, cfg)
	wantCorrupt(t, s, err, bad)
	fresh, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	_, err = fresh.GetState(ctx, cfg)
	wantCorrupt(t, s, err, bad)
}

// Undecodable channel bytes are a *saver.CorruptError naming the thread,
// the checkpoint and its sequence; the checkpoints before it stay readable,
// and history reports the bad one and goes on with the older ones.
func TestCorruptCheckpointIsTypedAndHistoryGoesOn(t *testing.T) {
	t.Parallel()
	chain, s, bad, good := corruptThread(t, []byte{0xc1, 0xff, 0x00})
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	_, err := chain.GetState(ctx, cfg)
	wantCorrupt(t, s, err, bad)
	_, err = chain.GetState(ctx, bad)
	wantCorrupt(t, s, err, bad)
	_, err = chain.Invoke(ctx, human("again"), cfg)
	wantCorrupt(t, s, err, bad)
	snap, err := chain.GetState(ctx, good)
	if err != nil {
		t.Fatalf("GetState of the checkpoint before the corrupt one: %v", err)
	}
	if got := humanTurns(snap.Values); len(got) != 1 || got[0] != "hi" {
		t.Fatalf("the checkpoint before the corrupt one holds %q", got)
	}
	var ok, corrupt int
	for i, err := range iterHistory(chain, ctx, cfg) {
		switch {
		case i == 0:
			wantCorrupt(t, s, err, bad)
			corrupt++
		case err != nil:
			t.Fatalf("history item %d: %v", i, err)
		default:
			ok++
		}
	}
	if corrupt != 1 || ok != 3 { // the turn's input, START and chat checkpoints
		t.Fatalf("history yielded %d corrupt and %d good snapshots, want 1 and 3", corrupt, ok)
	}
}

// iterHistory lists the errors of the thread's history, newest first.
func iterHistory(chain *graph.Graph[ChatState], ctx context.Context, cfg graph.Config) []error {
	var out []error
	for _, err := range chain.GetStateHistory(ctx, cfg, nil) {
		out = append(out, err)
	}
	return out
}
