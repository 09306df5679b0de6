package natsjs_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/saver"
)

var update = flag.Bool("update", false, "record testdata/ again")

// recorded is one message of a recorded stream.
type recorded struct {
	Seq     uint64 `json:"seq"`
	Thread  string `json:"thread"`
	Payload []byte `json:"payload"`
}

const (
	streamFile = "testdata/stream-v1.jsonl"
	tuplesFile = "testdata/tuples-v1.json"
)

var recordedThreads = []string{"chat", "forked", "a.b c/日本"}

// TestRecordedStreamStillLoads publishes a stream recorded by an earlier
// build into a fresh server and checks that every thread reads back as it
// did then: old data keeps loading (DESIGN.md invariant 10).
func TestRecordedStreamStillLoads(t *testing.T) {
	t.Parallel()
	if *update {
		record(t)
	}
	want := map[string][]*saver.Tuple{}
	b, err := os.ReadFile(tuplesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	_, js := setupServer(t)
	cfg := isolated(1)
	s := open(t, js, cfg)
	f, err := os.Open(streamFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last := map[string]uint64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r recorded
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		subj, _ := s.EventLog().Subject(r.Thread)
		ack, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: subj, Data: r.Payload}, jetstream.WithExpectLastSequencePerSubject(last[r.Thread]))
		if err != nil || ack.Sequence != r.Seq {
			t.Fatalf("republish %d: %v (got sequence %d)", r.Seq, err, ack.Sequence)
		}
		last[r.Thread] = ack.Sequence
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, th := range recordedThreads {
		got := history(t, s, th)
		b1, _ := json.Marshal(got)
		b2, _ := json.Marshal(want[th])
		if len(want[th]) == 0 || string(b1) != string(b2) {
			t.Fatalf("thread %q reads back differently:\n got %s\nwant %s", th, b1, b2)
		}
	}
}

// record writes the testdata files from a fresh stream holding every
// record kind that leaves its events in place.
func record(t *testing.T) {
	_, js := setupServer(t)
	s := open(t, js, isolated(1))
	ctx := t.Context()
	cfgs := chat(t, s, "chat", 8, 40)
	chat(t, s, recordedThreads[2], 3, 5)
	if _, err := s.ForkThread(ctx, cfgs[4], "forked"); err != nil {
		t.Fatal(err)
	}
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(cfgs[7].CheckpointID), ChannelValues: map[string][]byte{"step": []byte("r")}, ChannelVersions: map[string]uint64{"step": 100}}
	if _, err := s.Put(ctx, saver.PutOp{Config: cfgs[7], Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceLoop, Step: 8, RunID: "run-x", Extra: map[string]any{"k": int64(1)}}, NewVersions: map[string]uint64{"step": 100}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteForRuns(ctx, []string{"run-x"}); err != nil {
		t.Fatal(err)
	}
	chat(t, s, "forked", 2, 7)
	if err := os.MkdirAll(filepath.Dir(streamFile), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(streamFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	enc := json.NewEncoder(out)
	for seq := uint64(1); ; seq++ {
		m, err := s.EventLog().Stream().GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		th, err := s.EventLog().Thread(m.Subject)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(recorded{Seq: seq, Thread: th, Payload: m.Data}); err != nil {
			t.Fatal(err)
		}
	}
	tuples := map[string][]*saver.Tuple{}
	for _, th := range recordedThreads {
		tuples[th] = history(t, s, th)
	}
	b, err := json.MarshalIndent(tuples, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tuplesFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
