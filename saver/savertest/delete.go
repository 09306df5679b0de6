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
			must(t, s.PutWrites(ctx(t), c, []saver.Write{w("a", "2")}, "task"))
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
		must(t, s.PutWrites(ctx(t), kc, []saver.Write{w("a", "w")}, "task"))
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
		_, err := s.Put(ctx(t), c, late, meta(saver.SourceLoop, 0), map[string]uint64{"a": 2})
		wantErr(t, err, saver.ErrDeleted, "put on a deleted parent")
		wantErr(t, s.PutWrites(ctx(t), c, []saver.Write{w("a", "late")}, "task"), saver.ErrDeleted, "writes to a deleted checkpoint")
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
	{"DeletingTwiceIsFine", func(t *testing.T, s saver.Saver, _ string) {
		on(t, s, "doomed", "").put("", meta(saver.SourceInput, -1), nil)
		must(t, s.DeleteThread(ctx(t), "doomed"))
		must(t, s.DeleteThread(ctx(t), "doomed"))
	}},
}
