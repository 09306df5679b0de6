package savertest

import (
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

var deleteCases = []testCase{
	{"RemovesEveryNamespaceAndWrite", func(t *testing.T, s saver.Saver, _ string) {
		for _, ns := range namespaces {
			b := on(t, s, "doomed", ns)
			c := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
			must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("a", "2")}, TaskID: "task"}))
			b.put(c.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "2"})
		}
		must(t, s.DeleteThread(ctx(t), "doomed"))
		for _, ns := range namespaces {
			_, err := s.GetTuple(ctx(t), saver.Config{ThreadID: "doomed", CheckpointNS: ns})
			wantErr(t, err, saver.ErrNotFound, "latest of a deleted thread")
		}
		if got := collect(t, s, saver.ListParams{ThreadID: "doomed"}); len(got) != 0 {
			t.Fatalf("deleted thread still lists %v", ids(got))
		}
	}},
	{"LeavesOtherThreadsIntact", func(t *testing.T, s saver.Saver, _ string) {
		keep := on(t, s, "keep", "")
		kc := keep.put("", meta(saver.SourceInput, -1), map[string]string{"a": "kept"})
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: kc, Writes: []saver.Write{w("a", "w")}, TaskID: "task"}))
		on(t, s, "doomed", "").put("", meta(saver.SourceInput, -1), map[string]string{"a": "gone"})
		must(t, s.DeleteThread(ctx(t), "doomed"))
		got := keep.get("")
		wantValues(t, got, map[string]string{"a": "kept"})
		wantWrites(t, got, [][3]string{{"task", "a", "w"}})
		if all := collect(t, s, saver.ListParams{}); len(all) != 1 {
			t.Fatalf("after delete the saver lists %d tuples, want 1", len(all))
		}
	}},
	{"UnknownThreadIsANoOp", func(t *testing.T, s saver.Saver, _ string) {
		must(t, s.DeleteThread(ctx(t), "never-existed"))
		_, err := s.GetTuple(ctx(t), saver.Config{ThreadID: "never-existed"})
		wantErr(t, err, saver.ErrNotFound, "unknown thread after delete")
	}},
	{"EmptyThreadIDIsInvalid", func(t *testing.T, s saver.Saver, _ string) {
		wantErr(t, s.DeleteThread(ctx(t), ""), saver.ErrInvalid, "delete with empty thread id")
	}},
	{"LateWritesAreRejectedNotResurrected", func(t *testing.T, s saver.Saver, _ string) {
		// A run that read the thread before it was deleted must not bring it
		// back (langgraph#7206).
		b := on(t, s, "doomed", "")
		c := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		must(t, s.DeleteThread(ctx(t), "doomed"))
		late := newCheckpoint(c.CheckpointID, map[string]string{"a": "late"}, 2)
		_, err := s.Put(ctx(t), saver.PutOp{Config: c, Checkpoint: late, Metadata: meta(saver.SourceLoop, 0), NewVersions: map[string]uint64{"a": 2}})
		wantErr(t, err, saver.ErrDeleted, "put on a deleted parent")
		wantErr(t, s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("a", "late")}, TaskID: "task"}), saver.ErrDeleted, "writes to a deleted checkpoint")
		_, err = s.GetTuple(ctx(t), saver.Config{ThreadID: "doomed"})
		wantErr(t, err, saver.ErrNotFound, "deleted thread after late writes")
	}},
	{"ThreadCanStartAfresh", func(t *testing.T, s saver.Saver, _ string) {
		b := on(t, s, "reused", "")
		b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "old"})
		must(t, s.DeleteThread(ctx(t), "reused"))
		fresh := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "new"})
		got := b.get("")
		if got.Config != fresh {
			t.Fatalf("latest = %+v, want the fresh start %+v", got.Config, fresh)
		}
		wantValues(t, got, map[string]string{"a": "new"})
		if all := collect(t, s, saver.ListParams{ThreadID: "reused"}); len(all) != 1 {
			t.Fatalf("restarted thread lists %d tuples, want 1", len(all))
		}
	}},
	{"ForkIntoADeletedThreadDoesNotResurrectIt", func(t *testing.T, s saver.Saver, _ string) {
		f := as[saver.Forker](t, s, "saver.Forker")
		src := on(t, s, "src", "").put("", meta(saver.SourceInput, -1), map[string]string{"a": "src"})
		lateWritesStayDeleted(t, s, func(dst string) (saver.Config, error) { return f.ForkThread(ctx(t), src, dst) })
	}},
	{"CopyIntoADeletedThreadDoesNotResurrectIt", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Copier](t, s, "saver.Copier")
		src := on(t, s, "src", "").put("", meta(saver.SourceInput, -1), map[string]string{"a": "src"})
		lateWritesStayDeleted(t, s, func(dst string) (saver.Config, error) {
			if err := c.CopyThread(ctx(t), "src", dst); err != nil {
				return saver.Config{}, err
			}
			return saver.Config{ThreadID: dst, CheckpointID: src.CheckpointID}, nil
		})
	}},
	{"DeletingTwiceIsFine", func(t *testing.T, s saver.Saver, _ string) {
		on(t, s, "doomed", "").put("", meta(saver.SourceInput, -1), nil)
		must(t, s.DeleteThread(ctx(t), "doomed"))
		must(t, s.DeleteThread(ctx(t), "doomed"))
	}},
}

// lateWritesStayDeleted deletes a thread of two checkpoints, seeds the
// thread id again with seed (a fork or a copy of another thread), and checks
// that a run that read the deleted thread still cannot build on it: the
// seed starts a new thread, it does not lift the tombstone.
func lateWritesStayDeleted(t *testing.T, s saver.Saver, seed func(dst string) (saver.Config, error)) {
	t.Helper()
	b := on(t, s, "doomed", "")
	p := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "p"})
	c := b.put(p.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "c"})
	must(t, s.DeleteThread(ctx(t), "doomed"))
	seeded, err := seed("doomed")
	if err != nil {
		t.Fatalf("seed a deleted thread id: %v", err)
	}
	late := newCheckpoint(c.CheckpointID, map[string]string{"a": "late"}, 2)
	_, err = s.Put(ctx(t), saver.PutOp{Config: c, Checkpoint: late, Metadata: meta(saver.SourceLoop, 1), NewVersions: map[string]uint64{"a": 2}})
	wantErr(t, err, saver.ErrDeleted, "put on a checkpoint deleted before the thread id was seeded again")
	wantErr(t, s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("a", "late")}, TaskID: "task"}), saver.ErrDeleted,
		"writes to a checkpoint deleted before the thread id was seeded again")
	_, err = s.GetTuple(ctx(t), b.cfg(late.ID))
	wantErr(t, err, saver.ErrNotFound, "the refused late checkpoint")
	got := b.get("")
	if got.Config != seeded {
		t.Fatalf("latest of the seeded thread is %+v, want the seed %+v", got.Config, seeded)
	}
	wantValues(t, got, map[string]string{"a": "src"})
	if n := len(collect(t, s, saver.ListParams{ThreadID: "doomed"})); n != 1 {
		t.Fatalf("the seeded thread lists %d checkpoints, want 1", n)
	}
}
