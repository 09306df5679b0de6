package savertest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// threadIDs are ids that break naive subject, key or path encodings. No two
// may collide.
var threadIDs = []string{
	"plain", "with.dot", "a.b.c", "star*", "*", "gt>", ">", "with space", " ", "slash/ed", "/",
	"back\\slash", "uni-日本語-🙂", "tab\tnew\nline", "percent%2E", "_", "-", "..", "a..b",
	"UPPER", "upper", "quote'\"", "nul\x00byte", strings.Repeat("k", 1024),
}

func runThreadIDs(t *testing.T, newSaver NewSaver) {
	t.Run("AnyNonEmptyStringWorksAndNeverCollides", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		for _, id := range threadIDs {
			b := on(t, s, id, "")
			c := b.put("", meta(saver.SourceInput, -1), map[string]string{"id": id})
			must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("id", id)}, TaskID: "task"}))
		}
		for _, id := range threadIDs {
			tu := on(t, s, id, "").get("")
			if tu.Config.ThreadID != id {
				t.Fatalf("thread %q read back as %q", id, tu.Config.ThreadID)
			}
			wantValues(t, tu, map[string]string{"id": id})
			if got := collect(t, s, saver.ListParams{ThreadID: id}); len(got) != 1 {
				t.Fatalf("thread %q lists %d tuples, want 1", id, len(got))
			}
		}
		if got := collect(t, s, saver.ListParams{}); len(got) != len(threadIDs) {
			t.Fatalf("all threads list %d tuples, want %d", len(got), len(threadIDs))
		}
		must(t, s.DeleteThread(ctx(t), "a.b.c"))
		for _, id := range []string{"with.dot", "a..b", "*", ">"} {
			on(t, s, id, "").get("")
		}
	})
}

// overlong is one byte over saver.MaxThreadIDBytes but fewer runes: the
// limit counts bytes.
var overlong = strings.Repeat("日", saver.MaxThreadIDBytes/3) + "kk"

// longest is exactly saver.MaxThreadIDBytes bytes long.
var longest = strings.Repeat("日", saver.MaxThreadIDBytes/3) + "k"

func init() {
	if len(overlong) != saver.MaxThreadIDBytes+1 || len(longest) != saver.MaxThreadIDBytes {
		panic("savertest: thread id lengths are off")
	}
}

func runThreadIDLimits(t *testing.T, newSaver NewSaver) {
	t.Run("OverlongIDsAreInvalidOnEveryMethod", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		src := on(t, s, "src", "").put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		for name, call := range overlongCalls(t, s, src) {
			if err := call(); !errors.Is(err, saver.ErrInvalid) {
				t.Errorf("%s with a thread id of %d bytes: %v, want an error matching ErrInvalid", name, len(overlong), err)
			}
		}
		if got := collect(t, s, saver.ListParams{}); len(got) != 1 || got[0].Config != src {
			t.Fatalf("after the refused calls the saver lists %v, want just %s", ids(got), src.CheckpointID)
		}
	})
	t.Run("AnIDOfExactlyMaxThreadIDBytesWorks", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		b := on(t, s, longest, "")
		c := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("a", "w")}, TaskID: "task"}))
		c = b.put(c.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "2"})
		if got := b.get(""); got.Config != c || got.Config.ThreadID != longest {
			t.Fatalf("latest is %+v, want %+v", got.Config, c)
		}
		if n := len(collect(t, s, saver.ListParams{ThreadID: longest})); n != 2 {
			t.Fatalf("the thread lists %d checkpoints, want 2", n)
		}
		if cp, ok := s.(saver.Copier); ok {
			must(t, cp.CopyThread(ctx(t), longest, "copy"))
			must(t, cp.CopyThread(ctx(t), "copy", longestToo))
		}
		if f, ok := s.(saver.Forker); ok {
			_, err := f.ForkThread(ctx(t), saver.Config{ThreadID: longest}, "fork")
			must(t, err)
			_, err = f.ForkThread(ctx(t), saver.Config{ThreadID: "fork"}, longestAlso)
			must(t, err)
		}
		if p, ok := s.(saver.Pruner); ok {
			must(t, p.Prune(ctx(t), []string{longest}, saver.PruneKeepLatest))
		}
		must(t, s.DeleteThread(ctx(t), longest))
		_, err := s.GetTuple(ctx(t), saver.Config{ThreadID: longest})
		wantErr(t, err, saver.ErrNotFound, "latest of a deleted thread with the longest id")
	})
}

// Two more distinct ids of exactly saver.MaxThreadIDBytes bytes.
var (
	longestToo  = strings.Repeat("日", saver.MaxThreadIDBytes/3) + "j"
	longestAlso = strings.Repeat("日", saver.MaxThreadIDBytes/3) + "i"
)

// overlongCalls returns every method a saver has that takes a thread id,
// each called with the overlong one (src is a checkpoint of another thread).
func overlongCalls(t *testing.T, s saver.Saver, src saver.Config) map[string]func() error {
	long := saver.Config{ThreadID: overlong}
	cp := newCheckpoint("", map[string]string{"a": "1"}, 1)
	calls := map[string]func() error{
		"Put": func() error {
			_, err := s.Put(ctx(t), saver.PutOp{Config: long, Checkpoint: cp, Metadata: meta(saver.SourceInput, -1), NewVersions: map[string]uint64{"a": 1}})
			return err
		},
		"PutWrites": func() error {
			return s.PutWrites(ctx(t), saver.WritesOp{Config: saver.Config{ThreadID: overlong, CheckpointID: src.CheckpointID}, Writes: []saver.Write{w("a", "w")}, TaskID: "task"})
		},
		"GetTuple": func() error {
			_, err := s.GetTuple(ctx(t), long)
			return err
		},
		"List": func() error {
			for _, err := range s.List(ctx(t), saver.ListParams{ThreadID: overlong}) {
				return err
			}
			return nil
		},
		"DeleteThread": func() error { return s.DeleteThread(ctx(t), overlong) },
	}
	if c, ok := s.(saver.Copier); ok {
		calls["CopyThread to"] = func() error { return c.CopyThread(ctx(t), src.ThreadID, overlong) }
		calls["CopyThread from"] = func() error { return c.CopyThread(ctx(t), overlong, "copy") }
	}
	if f, ok := s.(saver.Forker); ok {
		calls["ForkThread to"] = func() error {
			_, err := f.ForkThread(ctx(t), src, overlong)
			return err
		}
		calls["ForkThread from"] = func() error {
			_, err := f.ForkThread(ctx(t), long, "fork")
			return err
		}
	}
	if p, ok := s.(saver.Pruner); ok {
		calls["Prune"] = func() error { return p.Prune(ctx(t), []string{overlong}, saver.PruneKeepLatest) }
	}
	if g, ok := s.(saver.CachedGetter); ok {
		calls["GetTupleCached"] = func() error {
			_, err := g.GetTupleCached(ctx(t), long)
			return err
		}
	}
	if c, ok := s.(saver.Committer); ok {
		commit := func(op saver.Op) func() error {
			return func() error {
				_, err := c.Commit(ctx(t), []saver.Op{op})
				return err
			}
		}
		calls["Commit put"] = commit(saver.Op{Put: &saver.PutOp{Config: long, Checkpoint: cp, Metadata: meta(saver.SourceInput, -1)}})
		calls["Commit writes"] = commit(saver.Op{Writes: &saver.WritesOp{Config: saver.Config{ThreadID: overlong, CheckpointID: src.CheckpointID}, Writes: []saver.Write{w("a", "w")}, TaskID: "task"}})
		calls["Commit lease"] = commit(saver.Op{Lease: &saver.LeaseOp{ThreadID: overlong, RunID: "run", Until: time.Now().Add(time.Hour)}})
	}
	return calls
}
