package natsjs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// rawClient returns a JetStream handle on a connection of its own, as a
// process that is not jetgraph would have.
func rawClient(t *testing.T, srv *natsembed.Server) (jetstream.JetStream, *nats.Conn) {
	t.Helper()
	js, nc, err := srv.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js, nc
}

// An event of one thread published again on another thread's subject is
// not folded into the victim: readers and the projector report it as
// corrupt, with the victim and the sequence, and skip it, and the
// victim's checkpoints are what its own writes made, also for a reader
// that starts from the snapshot bucket.
func TestForeignEventOnAThreadIsSkipped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		by          natsjs.SnapshotBy
		copyHeaders bool
	}{{natsjs.ByWriter, true}, {natsjs.ByProjector, true}, {natsjs.ByWriter, false}, {natsjs.ByProjector, false}} {
		by := tc.by
		t.Run(fmt.Sprintf("%s/headers=%v", by, tc.copyHeaders), func(t *testing.T) {
			t.Parallel()
			srv, js := setupServer(t)
			var logs logBuffer
			cfg := isolated(1)
			cfg.SnapshotBy = by
			cfg.Logger = logs.logger()
			cfg.Projector.MinSnapshotBytes = 1
			s := open(t, js, cfg)
			ctx := t.Context()
			chat(t, s, "victim", 3, 10)
			chat(t, s, "attacker", 3, 10)

			raw, _ := rawClient(t, srv)
			attackerSubj, _ := s.EventLog().Subject("attacker")
			victimSubj, _ := s.EventLog().Subject("victim")
			stream, err := raw.Stream(ctx, cfg.Log.Stream)
			if err != nil {
				t.Fatal(err)
			}
			stolen, err := stream.GetLastMsgForSubject(ctx, attackerSubj)
			if err != nil {
				t.Fatal(err)
			}
			last, err := s.EventLog().LastSeq(ctx, "victim")
			if err != nil {
				t.Fatal(err)
			}
			msg := &nats.Msg{Subject: victimSubj, Data: stolen.Data, Header: nats.Header{}}
			for k, v := range stolen.Header { // the headers too, as a copy would have them
				if tc.copyHeaders && !strings.HasPrefix(k, "Nats-") {
					msg.Header[k] = v
				}
			}
			ack, err := raw.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				t.Fatal(err)
			}
			want := chat(t, s, "victim", 2, 10) // the writer goes on over the foreign event
			settle(t, s)

			for i, r := range []*natsjs.Saver{s, reader(t, js, cfg)} {
				h := history(t, r, "victim")
				if len(h) != 5 || h[0].Config != want[1] {
					t.Fatalf("reader %d: victim has %d checkpoints (latest %v), want its own 5", i, len(h), h[0].Config)
				}
				for _, tu := range h {
					if tu.Config.ThreadID != "victim" || strings.Contains(string(tu.Checkpoint.ChannelValues["messages"]), "attacker") {
						t.Fatalf("reader %d: the attacker's checkpoint is in the victim's history: %+v", i, tu.Config)
					}
				}
			}
			out := logs.String()
			if !strings.Contains(out, "corrupt") || !strings.Contains(out, "thread=victim") || !strings.Contains(out, "seq="+itoa(ack.Sequence)) {
				t.Fatalf("the foreign event was not reported with the victim and its sequence %d:\n%s", ack.Sequence, out)
			}
		})
	}
}

type listState struct {
	Items [][]int  `graph:"items,reducer=append"`
	Notes []string `graph:"notes,reducer=append"`
}

// listGraph appends an item and a note per run.
func listGraph(t *testing.T, s saver.Saver) *graph.Graph[listState] {
	t.Helper()
	g := graph.New[listState]()
	g.AddNode("add", func(_ context.Context, st listState) (listState, error) {
		return listState{Items: [][]int{{len(st.Items)}}, Notes: []string{fmt.Sprint("note ", len(st.Notes))}}, nil
	})
	g.AddEdge(graph.START, "add")
	g.AddEdge("add", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// putHostile stores, through a saver of another process, a checkpoint on
// top of the thread's latest whose channel holds value, and returns the
// tuple it wrote.
func putHostile(t *testing.T, s saver.Saver, thread, channel string, value []byte) *saver.Tuple {
	t.Helper()
	ctx := t.Context()
	tu, err := s.GetTuple(ctx, saver.Config{ThreadID: thread})
	if err != nil {
		t.Fatal(err)
	}
	cp := tu.Checkpoint
	cp.ID = saver.NewCheckpointID(tu.Checkpoint.ID)
	cp.ChannelValues = maps.Clone(cp.ChannelValues)
	cp.ChannelVersions = maps.Clone(cp.ChannelVersions)
	v := slices.Max(slices.Collect(maps.Values(cp.ChannelVersions))) + 1
	cp.ChannelValues[channel] = value
	cp.ChannelVersions[channel] = v
	cfg, err := s.Put(ctx, tu.Config, cp, saver.Metadata{Source: saver.SourceUpdate, Step: tu.Metadata.Step + 1}, map[string]uint64{channel: v})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTuple(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

const hostileEnv = "JETGRAPH_HOSTILE_CHILD"

// A valid event whose list channel value declares four billion elements
// (an item that is an array, or a string, of 2^32-1) makes a graph over
// the saver return an error; the process survives. It runs in a process
// of its own, so that a crash is reported instead of ending this one.
func TestHugeDeclaredListIsAnErrorNotACrash(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{"array", "string"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHugeDeclaredListChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), hostileEnv+"="+variant)
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("--- PASS: TestHugeDeclaredListChild")) {
				t.Fatalf("the process over the hostile value did not pass (%v):\n%s", err, tail(out, 3000))
			}
		})
	}
}

func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

// TestHugeDeclaredListChild is the process TestHugeDeclaredListIsAnErrorNotACrash
// starts.
func TestHugeDeclaredListChild(t *testing.T) {
	variant := os.Getenv(hostileEnv)
	if variant == "" {
		t.Skip("run by TestHugeDeclaredListIsAnErrorNotACrash in a process of its own")
	}
	s, _, _ := setup(t)
	ctx := t.Context()
	chain := listGraph(t, s)
	thread := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, listState{}, thread); err != nil {
		t.Fatal(err)
	}
	channel, huge := "items", []byte{0xdd, 0xff, 0xff, 0xff, 0xff} // array32 of 2^32-1 items
	if variant == "string" {
		channel, huge = "notes", []byte{0xdb, 0xff, 0xff, 0xff, 0xff} // str32 of 2^32-1 bytes
	}
	tu, err := s.GetTuple(ctx, saver.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	putHostile(t, s, "t", channel, append(slices.Clone(tu.Checkpoint.ChannelValues[channel]), huge...))
	if _, err := chain.GetState(ctx, thread); err == nil {
		t.Error("GetState over the hostile value: no error")
	} else {
		t.Logf("GetState: %v", err)
	}
	if _, err := chain.Invoke(ctx, listState{}, thread); err == nil {
		t.Error("Invoke over the hostile value: no error")
	} else {
		t.Logf("Invoke: %v", err)
	}
}

// Channel bytes that do not decode make reading that checkpoint an error
// matching saver.ErrCorrupt that names the thread, the checkpoint and the
// sequence of the event that stored it; the checkpoints before it still
// read.
func TestUndecodableChannelIsCorruptAndEarlierCheckpointsRead(t *testing.T) {
	t.Parallel()
	s, _, _ := setup(t)
	ctx := t.Context()
	chain := listGraph(t, s)
	thread := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, listState{}, thread); err != nil {
		t.Fatal(err)
	}
	before, err := chain.GetState(ctx, thread)
	if err != nil {
		t.Fatal(err)
	}
	bad := putHostile(t, s, "t", "notes", []byte{0xc1}) // a code msgpack never uses
	_, err = chain.GetState(ctx, thread)
	var ce *saver.CorruptError
	if !errors.Is(err, saver.ErrCorrupt) || !errors.As(err, &ce) {
		t.Fatalf("GetState of the undecodable checkpoint: %v, want a *saver.CorruptError", err)
	}
	if ce.ThreadID != "t" || ce.CheckpointID != bad.Config.CheckpointID || ce.Seq != bad.Seq {
		t.Fatalf("corrupt error names thread %q checkpoint %s seq %d; want %q %s %d", ce.ThreadID, ce.CheckpointID, ce.Seq, "t", bad.Config.CheckpointID, bad.Seq)
	}
	old, err := chain.GetState(ctx, before.Config)
	if err != nil || !slices.Equal(old.Values.Notes, before.Values.Notes) {
		t.Fatalf("the checkpoint before the corrupt one: %v, %v", old.Values, err)
	}
}
