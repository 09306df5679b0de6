package savertest

import (
	"context"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// Hostile input: what a caller, or another client of the same store, can
// hand a saver to make it serve the wrong thread's data, store half a
// write, hang or crash. Each is tested where it can be broken from
// outside; this list says where.
//
//   - Thread ids of every odd kind (empty, 10 KB long, NUL, dots,
//     wildcards, invalid UTF-8, RTL, emoji): ThreadIDs in Run
//     (threadids.go); for the JetStream subjects, saver/natsjs/longid_test.go
//     and hostile_test.go.
//   - Checkpoint ids of another thread, used on this one: hostileCases
//     below, run by Run on every saver; through a graph (GetState, Invoke,
//     Resume, UpdateState, Fork, history) in graph/hostile_test.go.
//   - Sequences that are 0, negative, beyond the thread's newest event or
//     beyond any sequence: ReplayTo in hostileCases below (savers with an
//     event log); the CLI's replay, events and state in
//     cmd/jetgraph/errors_test.go; Tail in saver/natsjs/sequences_test.go.
//   - State too large even for out-of-line storage: through a graph on
//     SQLite with a small MaxValueBytes in graph/hostile_test.go, and on a
//     stock 1 MB JetStream server with the default 64 MiB limit in
//     saver/natsjs/toolarge_test.go; RunLargeValues (large.go) checks that
//     values up to the limit round-trip.
//   - Values the graph cannot encode (a func, a chan, a complex number, a
//     cycle, an interface value that does not read back):
//     graph/hostile_test.go, on memory and SQLite.
//   - Forged or corrupt messages published on a thread's subject by another
//     client: saver/natsjs/hostile_test.go (a foreign event), the
//     projector in behaviour_test.go, and the CLI's events and audit in
//     cmd/jetgraph/hostile_test.go.
//   - A forged snapshot manifest (far-future sequence, impossible size or
//     chunk count): projector/forged_test.go and
//     saver/natsjs/forgedsnapshot_test.go.
var hostileCases = []testCase{
	{"CheckpointOfAnotherThreadIsNotFound", func(t *testing.T, s saver.Saver, _ string) {
		a, b := on(t, s, "thread-a", ""), on(t, s, "thread-b", "")
		a1 := a.put("", meta(saver.SourceInput, -1), map[string]string{"who": "a"})
		a2 := a.put(a1.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"who": "a2"})
		b1 := b.put("", meta(saver.SourceInput, -1), map[string]string{"who": "SECRET-b"})
		b2 := b.put(b1.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"who": "SECRET-b2"})
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: b2, Writes: []saver.Write{w("who", "SECRET-w")}, TaskID: "task"}))
		child := on(t, s, "thread-a", "child").put("", meta(saver.SourceInput, -1), map[string]string{"who": "child"})
		before := map[string][]string{"thread-a": threadState(t, s, "thread-a"), "thread-b": threadState(t, s, "thread-b")}

		for _, id := range []string{b1.CheckpointID, b2.CheckpointID} {
			foreign := a.cfg(id) // thread A, a checkpoint id of thread B
			tu, err := s.GetTuple(ctx(t), foreign)
			wantErr(t, err, saver.ErrNotFound, "get a checkpoint of another thread")
			if tu != nil {
				t.Fatalf("get a checkpoint of another thread returned %+v", tu.Config)
			}
			if g, ok := s.(saver.CachedGetter); ok {
				_, err := g.GetTupleCached(ctx(t), foreign)
				wantErr(t, err, saver.ErrNotFound, "cached get of a checkpoint of another thread")
			}
			err = s.PutWrites(ctx(t), saver.WritesOp{Config: foreign, Writes: []saver.Write{w("who", "x")}, TaskID: "intruder"})
			wantErr(t, err, saver.ErrNotFound, "writes against a checkpoint of another thread")
			if got := collect(t, s, saver.ListParams{ThreadID: "thread-a", CheckpointID: id}); len(got) != 0 {
				t.Fatalf("list of thread A with a checkpoint id of B yields %+v", got[0].Config)
			}
			for _, tu := range collect(t, s, saver.ListParams{ThreadID: "thread-a", Before: id}) {
				if tu.Config.ThreadID != "thread-a" || strings.Contains(describe(*tu), "SECRET") {
					t.Fatalf("list of thread A before a checkpoint of B yields %+v", tu.Config)
				}
			}
			if f, ok := s.(saver.Forker); ok {
				_, err := f.ForkThread(ctx(t), foreign, "forked")
				wantErr(t, err, saver.ErrNotFound, "fork from a checkpoint of another thread")
				if _, err := s.GetTuple(ctx(t), saver.Config{ThreadID: "forked"}); err == nil {
					t.Fatal("a refused fork created its thread")
				}
			}
			if c, ok := s.(saver.Committer); ok {
				cp := newCheckpoint(id, map[string]string{"who": "child"}, 3)
				_, err := c.Commit(ctx(t), []saver.Op{
					{Writes: &saver.WritesOp{Config: foreign, Writes: []saver.Write{w("who", "x")}, TaskID: "intruder"}},
					{Put: &saver.PutOp{Config: foreign, Checkpoint: cp, Metadata: meta(saver.SourceLoop, 5), NewVersions: map[string]uint64{"who": 3}}},
				})
				wantErr(t, err, saver.ErrNotFound, "commit on a checkpoint of another thread")
			}
		}
		// The namespaces of one thread are as separate.
		_, err := s.GetTuple(ctx(t), a.cfg(child.CheckpointID))
		wantErr(t, err, saver.ErrNotFound, "get a checkpoint of another namespace")

		after := map[string][]string{"thread-a": threadState(t, s, "thread-a"), "thread-b": threadState(t, s, "thread-b")}
		for th, want := range before {
			if strings.Join(after[th], "\n") != strings.Join(want, "\n") {
				t.Fatalf("%s changed under refused operations:\n got: %v\nwant: %v", th, after[th], want)
			}
		}
		if got := a.get(""); got.Config != a2 {
			t.Fatalf("thread A's latest is %+v, want %+v", got.Config, a2)
		}
	}},
	{"ChildOfAnotherThreadsCheckpointCarriesNothingOfIt", func(t *testing.T, s saver.Saver, _ string) {
		// A Put names its parent by id only, and a parent the thread does
		// not hold is allowed (it may have been pruned): a child put on
		// thread A after a checkpoint id of thread B stores on A only what
		// it was given, and nothing of B's values reaches it.
		a, b := on(t, s, "thread-a", ""), on(t, s, "thread-b", "")
		a.put("", meta(saver.SourceInput, -1), map[string]string{"who": "a"})
		b1 := b.put("", meta(saver.SourceInput, -1), map[string]string{"who": "SECRET-b", "keep": "SECRET-keep"})
		cp := newCheckpoint(b1.CheckpointID, map[string]string{"who": "child"}, 3)
		cfg, err := s.Put(ctx(t), saver.PutOp{Config: a.cfg(b1.CheckpointID), Checkpoint: cp, Metadata: meta(saver.SourceUpdate, 5), NewVersions: map[string]uint64{"who": 3}})
		if err != nil {
			wantErr(t, err, saver.ErrNotFound, "a child of a checkpoint of another thread")
			return
		}
		if cfg.ThreadID != "thread-a" {
			t.Fatalf("the child was stored as %+v", cfg)
		}
		got := a.get(cfg.CheckpointID)
		wantValues(t, got, map[string]string{"who": "child"})
		if got.ParentConfig != nil {
			_, err := s.GetTuple(ctx(t), *got.ParentConfig)
			wantErr(t, err, saver.ErrNotFound, "the child's parent, read on thread A")
		}
		wantValues(t, b.get(""), map[string]string{"who": "SECRET-b", "keep": "SECRET-keep"})
	}},
	{"ReplaySequenceOutsideTheLogIsAnError", func(t *testing.T, s saver.Saver, _ string) {
		r, ok := s.(replayer)
		if !ok {
			t.Skipf("%T keeps no event log to replay", s)
		}
		b := on(t, s, "replayed", "")
		c := b.put("", meta(saver.SourceInput, -1), map[string]string{"v": "1"})
		b.put(c.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"v": "2"})
		head := b.get("")
		if _, err := r.ReplayTo(ctx(t), "replayed", head.Seq); err != nil {
			t.Fatalf("replay to the newest event %d: %v", head.Seq, err)
		}
		_, err := r.ReplayTo(ctx(t), "replayed", 0)
		wantErr(t, err, saver.ErrInvalid, "replay to sequence 0")
		for _, seq := range []uint64{head.Seq + 1, head.Seq + 1000, 1 << 63, ^uint64(0)} {
			_, err := r.ReplayTo(ctx(t), "replayed", seq)
			wantErr(t, err, saver.ErrNotFound, "replay beyond the newest event")
			if !strings.Contains(err.Error(), "newest") {
				t.Fatalf("replay to %d: %v; want the error to say where the thread ends", seq, err)
			}
		}
		_, err = r.ReplayTo(ctx(t), "never-written", 1)
		wantErr(t, err, saver.ErrNotFound, "replay of a thread without events")
	}},
}

// replayer is what savers with an event log offer to read a thread as it
// was after one of its events.
type replayer interface {
	ReplayTo(ctx context.Context, thread string, seq uint64) (*event.Thread, error)
}

// threadState describes every tuple of a thread in every namespace.
func threadState(t *testing.T, s saver.Saver, thread string) []string {
	t.Helper()
	var out []string
	for _, tu := range collect(t, s, saver.ListParams{ThreadID: thread}) {
		out = append(out, describe(normalize(tu)))
	}
	return out
}
