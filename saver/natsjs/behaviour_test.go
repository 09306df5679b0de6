package natsjs_test

import (
	"context"
	"errors"
	"maps"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// reader returns a second saver on the same stream and bucket with a cold
// cache and no projector of its own.
func reader(t *testing.T, js jetstream.JetStream, cfg natsjs.Config) *natsjs.Saver {
	t.Helper()
	cfg.SnapshotBy = natsjs.ByOther
	return open(t, js, cfg)
}

func TestReadsStayCorrectWithProjectorStopped(t *testing.T) {
	t.Parallel()
	s, js, cfg := setupProjected(t)
	chat(t, s, "t", 20, 100)
	if err := s.Projector().CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Projector().Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	more := chat(t, s, "u", 30, 100) // written while no projector runs
	chat(t, s, "t", 5, 100)
	r := reader(t, js, cfg)
	sameTuples(t, history(t, r, "t"), history(t, s, "t"))
	sameTuples(t, history(t, r, "u"), history(t, s, "u"))
	tu, err := r.GetTuple(t.Context(), saver.Config{ThreadID: "u"})
	if err != nil || tu.Config != more[len(more)-1] {
		t.Fatalf("latest of u: %v, %v", tu, err)
	}
}

func TestRebuiltBucketHoldsIdenticalSnapshots(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	cfg := projected(1)
	cfg.Projector.MinSnapshotBytes = 2 << 10
	cfg.Projector.ChunkBytes = 1 << 10 // several chunks per snapshot
	s := open(t, js, cfg)
	for _, th := range []string{"a", "b.c", "日本"} {
		chat(t, s, th, 40, 64)
	}
	if _, err := s.ForkThread(t.Context(), saver.Config{ThreadID: "a"}, "fork"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteThread(t.Context(), "b.c"); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.Projector().CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	before := dumpBucket(t, s)
	if len(before) < 8 {
		t.Fatalf("bucket holds %d keys, want several snapshots in chunks", len(before))
	}
	tuplesBefore := history(t, reader(t, js, cfg), "a")

	if err := s.Projector().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	after := dumpBucket(t, s)
	if !maps.EqualFunc(before, after, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("rebuilt bucket differs:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
	sameTuples(t, history(t, reader(t, js, cfg), "a"), tuplesBefore)
}

func dumpBucket(t *testing.T, s *natsjs.Saver) map[string][]byte {
	t.Helper()
	kv := s.Snapshots().KeyValue()
	lister, err := kv.ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k := range lister.Keys() {
		e, err := kv.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = e.Value()
	}
	return out
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

func TestReplayToEverySequenceMatchesStateThen(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	cfg := projected(1)
	cfg.Projector.MinSnapshotBytes = 512 // replays after a snapshot start from it
	s := open(t, js, cfg)
	ctx := t.Context()
	// After every event of the thread, record its sequence and its history.
	type point struct {
		seq     uint64
		history []*saver.Tuple
	}
	var points []point
	record := func() {
		last, err := s.EventLog().LastSeq(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		points = append(points, point{last, history(t, s, "t")})
	}
	rec := &recording{Saver: s, after: record}
	first := chat(t, rec, "t", 1, 10)[0] // a checkpoint and a write
	for i := range 15 {
		chat(t, s, "other", 1, 10) // another subject interleaves
		switch i % 3 {
		case 0, 1:
			chat(t, rec, "t", 1, 10+i)
		case 2: // a branch from the first checkpoint, as update_state makes
			cp := saver.Checkpoint{ID: saver.NewCheckpointID(first.CheckpointID), ChannelValues: map[string][]byte{"step": []byte("u")}, ChannelVersions: map[string]uint64{"step": 99}}
			if _, err := s.Put(ctx, saver.PutOp{Config: first, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceUpdate, Step: 0}, NewVersions: map[string]uint64{"step": 99}}); err != nil {
				t.Fatal(err)
			}
			record()
		}
	}
	if evs := events(t, s, "t"); evs != len(points) {
		t.Fatalf("%d events for %d recorded points", evs, len(points))
	}
	if err := s.Projector().CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, at, _ := s.Snapshots().Load(ctx, "t"); at == 0 || at == points[len(points)-1].seq {
		t.Fatalf("snapshot at %d: want one inside the thread, so replays both use it and not", at)
	}
	for _, p := range points {
		th, err := s.ReplayTo(ctx, "t", p.seq)
		if err != nil {
			t.Fatal(err)
		}
		var got []*saver.Tuple
		for _, ref := range th.Select(saver.ListParams{}) {
			got = append(got, th.Tuple(ref))
		}
		sameTuples(t, got, p.history)
	}
}

func TestTwoClientsRacingOnOneThreadOneConflicts(t *testing.T) {
	t.Parallel()
	srv, js := setupServer(t)
	race(t, js, connect(t, srv), isolated(1))
}

// On a replicated stream the server reports the lost race with another
// error code; the saver still answers ErrConflict.
func TestTwoClientsRacingOnAReplicatedThreadOneConflicts(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c, js := natstest.Cluster(t)
	race(t, js, c.Connect(t), isolated(3))
}

// race has two savers on separate connections, both having read the head,
// extend it at once: one wins, the other gets ErrConflict and stores
// nothing.
func race(t *testing.T, js1, js2 jetstream.JetStream, cfg natsjs.Config) {
	t.Helper()
	a := open(t, js1, cfg)
	b := reader(t, js2, cfg)
	head := chat(t, a, "t", 1, 10)[0]
	if _, err := b.GetTuple(t.Context(), head); err != nil { // b has read the head too
		t.Fatal(err)
	}
	eventsBefore := events(t, a, "t")
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, s := range []*natsjs.Saver{a, b} {
			wg.Go(func() {
				cp := saver.Checkpoint{ID: saver.NewCheckpointID(head.CheckpointID), ChannelValues: map[string][]byte{"x": {byte(i)}}, ChannelVersions: map[string]uint64{"x": 2}}
				<-start
				_, errs[i] = s.Put(t.Context(), saver.PutOp{Config: head, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceLoop}, NewVersions: map[string]uint64{"x": 2}})
			})
		}
		close(start)
		wg.Wait()
		if round > 0 { // the head already has a child: both lose
			for _, err := range errs {
				if !errors.Is(err, saver.ErrConflict) {
					t.Fatalf("round %d: %v, want ErrConflict", round, err)
				}
			}
			continue
		}
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("errors %v: want exactly one winner", errs)
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, saver.ErrConflict) {
				t.Fatalf("loser: %v, want ErrConflict", err)
			}
		}
	}
	if n := events(t, a, "t"); n != eventsBefore+1 {
		t.Fatalf("%d events after the races, want %d: a loser stored something", n, eventsBefore+1)
	}
}

func TestForkCostsTheSameFromAnyStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes a 5,000-step thread")
	}
	s, js, cfg := setupProjected(t)
	cfgs := chat(t, s, "long", 5000, 16)
	if err := s.Projector().CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	cost := func(at saver.Config, dst string) (uint64, int) {
		r := reader(t, js, cfg) // a cold cache, as on another host
		before := r.EventLog().MessagesRead()
		if _, err := r.ForkThread(t.Context(), at, dst); err != nil {
			t.Fatal(err)
		}
		return r.EventLog().MessagesRead() - before, events(t, r, dst)
	}
	early, earlyEvents := cost(cfgs[9], "from-10")
	late, lateEvents := cost(cfgs[4999], "from-5000")
	if early != late {
		t.Fatalf("fork from step 10 read %d messages, from step 5,000 %d: want the same", early, late)
	}
	if earlyEvents != 1 || lateEvents != 1 {
		t.Fatalf("forks hold %d and %d events, want one seed each", earlyEvents, lateEvents)
	}
	tu, err := s.GetTuple(t.Context(), saver.Config{ThreadID: "from-5000"})
	if err != nil || len(tu.Checkpoint.ChannelValues["messages"]) != 5000*16 {
		t.Fatalf("fork values: %v", err)
	}
	t.Logf("a fork read %d messages from a 5,000-step thread", early)
}

func TestCorruptMessageDoesNotStopProjector(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	var logs logBuffer
	cfg := projected(1)
	cfg.Logger = logs.logger()
	cfg.Projector.MinSnapshotBytes = 1
	s := open(t, js, cfg)
	ctx := t.Context()
	chat(t, s, "t", 2, 10)
	last, _ := s.EventLog().LastSeq(ctx, "t")
	subj, _ := s.EventLog().Subject("t")
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: subj, Data: []byte("\xc1garbage")}, jetstream.WithExpectLastSequencePerSubject(last))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, cfg.Log.Prefix+".bad_token_", []byte("x")); err != nil { // not a thread subject
		t.Fatal(err)
	}
	more := chat(t, s, "t", 10, 200) // outweighs the last snapshot: a new one is due
	final, _ := s.EventLog().LastSeq(ctx, "t")
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Projector().WaitFor(wait, final); err != nil {
		t.Fatalf("the projector stopped at the corrupt message: %v", err)
	}
	if _, at, err := s.Snapshots().Load(ctx, "t"); err != nil || at <= ack.Sequence {
		t.Fatalf("snapshot at %d (%v), want one after the corrupt message at %d", at, err, ack.Sequence)
	}
	out := logs.String()
	if !strings.Contains(out, "skipping corrupt event") || !strings.Contains(out, "thread=t") || !strings.Contains(out, "seq="+itoa(ack.Sequence)) {
		t.Fatalf("the corrupt message was not reported with its thread and sequence:\n%s", out)
	}
	if !strings.Contains(out, "unknown subject") {
		t.Fatalf("the unknown subject was not reported:\n%s", out)
	}
	if tu, err := s.GetTuple(ctx, saver.Config{ThreadID: "t"}); err != nil || tu.Config != more[len(more)-1] {
		t.Fatalf("reads past the corrupt message: %v, %v", tu, err)
	}
}

func TestProjectorResumesAfterRestartAndIgnoresRedelivery(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	cfg := projected(1)
	cfg.Projector.MinSnapshotBytes = 512
	s := open(t, js, cfg)
	ctx := t.Context()
	chat(t, s, "t", 10, 50)
	if err := s.Projector().Stop(ctx); err != nil {
		t.Fatal(err)
	}
	chat(t, s, "t", 30, 50)
	// A new process with the same durable consumer takes over.
	again := open(t, js, cfg)
	if err := again.Projector().CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	before := dumpBucket(t, s)
	if _, at, _ := s.Snapshots().Load(ctx, "t"); at == 0 {
		t.Fatal("no snapshot after restart")
	}
	// A second consumer folding everything again sees only redeliveries of
	// what the bucket holds: nothing changes.
	cfg2 := cfg
	cfg2.Projector.Durable += "-again"
	third := open(t, js, cfg2)
	if err := third.Projector().CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if after := dumpBucket(t, s); !maps.EqualFunc(before, after, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("refolding changed the bucket: %v vs %v", keys(before), keys(after))
	}
}

// recording calls after once each Put or PutWrites has returned.
type recording struct {
	saver.Saver
	after func()
}

func (r *recording) Put(ctx context.Context, op saver.PutOp) (saver.Config, error) {
	out, err := r.Saver.Put(ctx, op)
	r.after()
	return out, err
}

func (r *recording) PutWrites(ctx context.Context, op saver.WritesOp) error {
	err := r.Saver.PutWrites(ctx, op)
	r.after()
	return err
}

// Storage grows with what changed, not with the state (DESIGN.md invariant
// 5): the stream stores each turn once, so four times the turns take about
// four times the stream bytes, and the snapshots, whoever takes them, add at
// most about as much again: never more than the stream's own bytes plus
// what the events since the last snapshot would weigh (the policy takes a
// snapshot when those outweigh it).
func TestStorageGrowsLinearlyWithTurns(t *testing.T) {
	t.Parallel()
	for _, by := range []natsjs.SnapshotBy{natsjs.ByWriter, natsjs.ByProjector} {
		t.Run(string(by), func(t *testing.T) {
			t.Parallel()
			_, js := setupServer(t)
			bytesFor := func(turns int) (stream, total float64) {
				cfg := isolated(1)
				cfg.SnapshotBy = by
				cfg.Projector.MinSnapshotBytes = 4 << 10 // snapshots happen at these sizes
				s := open(t, js, cfg)
				chat(t, s, "t", turns, 200)
				if err := s.Flush(t.Context()); err != nil { // the writer's snapshots
					t.Fatal(err)
				}
				if p := s.Projector(); p != nil {
					if err := p.CatchUp(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				if _, at, _ := s.Snapshots().Load(t.Context(), "t"); at == 0 {
					t.Fatal("no snapshot taken")
				}
				info, err := s.EventLog().Stream().Info(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				n, err := s.StorageBytes(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				return float64(info.State.Bytes), float64(n)
			}
			var streams []float64
			for _, turns := range []int{100, 400} {
				stream, total := bytesFor(turns)
				t.Logf("%d turns: %.0f bytes, %.0f of them the stream's", turns, total, stream)
				if total > 2.5*stream {
					t.Fatalf("%d turns: %.0f bytes in all for a %.0f-byte stream: snapshots outweigh the log", turns, total, stream)
				}
				streams = append(streams, stream)
			}
			if slope := math.Log(streams[1]/streams[0]) / math.Log(4); slope > 1.15 {
				t.Fatalf("stream bytes slope %.3f, want at most 1.15 (linear)", slope)
			}
		})
	}
}

// With SnapshotBy ByWriter, no consumer runs: the writer snapshots the
// threads it writes, and a cold reader starts from that snapshot and reads
// the same checkpoints.
func TestWriterSnapshotsWhatItWrites(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	cfg := isolated(1)
	cfg.Projector.MinSnapshotBytes = 1 << 10
	s := open(t, js, cfg)
	if s.Projector() != nil {
		t.Fatal("a projector runs with SnapshotBy ByWriter")
	}
	chat(t, s, "t", 30, 100)
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, at, err := s.Snapshots().Load(t.Context(), "t")
	if err != nil || at == 0 {
		t.Fatalf("snapshot of t: at %d, %v", at, err)
	}
	r := reader(t, js, cfg)
	sameTuples(t, history(t, r, "t"), history(t, s, "t"))
}

func TestUnknownSnapshotByIsInvalid(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	cfg := isolated(1)
	cfg.SnapshotBy = "nobody"
	_, err := natsjs.New(t.Context(), js, cfg)
	if !errors.Is(err, saver.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

// Projectors in several processes share one durable consumer: each folds
// the messages it gets and fills the gaps left by the others from the log,
// so every snapshot is still exact.
func TestProjectorsShareTheWork(t *testing.T) {
	t.Parallel()
	srv, js := setupServer(t)
	cfg := projected(1)
	cfg.Projector.MinSnapshotBytes = 1024
	a := open(t, js, cfg)
	b := open(t, connect(t, srv), cfg)
	for range 4 {
		chat(t, a, "t", 20, 50)
		chat(t, b, "u", 20, 50)
	}
	ctx := t.Context()
	for _, s := range []*natsjs.Saver{a, b} {
		if err := s.Projector().CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, th := range []string{"t", "u"} {
		data, at, err := a.Snapshots().Load(ctx, th)
		if err != nil || data == nil {
			t.Fatalf("snapshot of %s: %v", th, err)
		}
		fresh, err := a.EventLog().Replay(ctx, th, nil, at, nil)
		if err != nil {
			t.Fatal(err)
		}
		wb, _ := fresh.Snapshot()
		if string(wb) != string(data) {
			t.Fatalf("snapshot of %s at %d differs from a fold of the log", th, at)
		}
	}
}
