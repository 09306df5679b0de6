package savertest

import (
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

var getCases = []testCase{
	{"TupleMapsAreTheCallersOwn", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "own", ns)
		first := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		cp := newCheckpoint(first.CheckpointID, map[string]string{"a": "2", "b": "2"}, 2)
		cp.VersionsSeen = map[string]map[string]uint64{"node": {"a": 1}}
		md := meta(saver.SourceLoop, 0)
		md.Parents = map[string]string{"": "p"}
		second, err := s.Put(ctx(t), first, cp, md, map[string]uint64{"a": 2, "b": 2})
		must(t, err)
		for _, cfg := range []saver.Config{second, b.cfg("")} {
			tu, err := s.GetTuple(ctx(t), cfg)
			must(t, err)
			want := describe(normalize(tu))
			// The caller changes every map and slice it was handed.
			tu.Checkpoint.ChannelValues["a"] = []byte("changed")
			delete(tu.Checkpoint.ChannelValues, "b")
			tu.Checkpoint.ChannelVersions["a"] = 99
			tu.Checkpoint.VersionsSeen["node"]["a"] = 99
			tu.Metadata.Parents[""] = "changed"
			tu.PendingWrites = append(tu.PendingWrites[:0], saver.PendingWrite{TaskID: "x"})
			again, err := s.GetTuple(ctx(t), cfg)
			must(t, err)
			if got := describe(normalize(again)); got != want {
				t.Fatalf("changing a tuple changed the store:\n got: %s\nwant: %s", got, want)
			}
		}
	}},
	{"WithIDReturnsThatCheckpoint", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		first := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		second := b.put(first.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "2"})
		b.put(second.CheckpointID, meta(saver.SourceLoop, 1), map[string]string{"a": "3"})
		must(t, s.PutWrites(ctx(t), second, []saver.Write{w("a", "w")}, "task"))

		got := b.get(second.CheckpointID)
		if got.Config != second || got.ParentConfig == nil || *got.ParentConfig != first {
			t.Fatalf("config %+v parent %+v, want %+v parent %+v", got.Config, got.ParentConfig, second, first)
		}
		if got.Metadata.Source != saver.SourceLoop || got.Metadata.Step != 0 {
			t.Fatalf("metadata %+v", got.Metadata)
		}
		wantValues(t, got, map[string]string{"a": "2"})
		wantWrites(t, got, [][3]string{{"task", "a", "w"}})
		if p := b.get(first.CheckpointID).ParentConfig; p != nil {
			t.Fatalf("first checkpoint has parent %+v, want none", p)
		}
	}},
	{"WithoutIDReturnsTheLatest", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		c := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		for i := range 5 {
			c = b.put(c.CheckpointID, meta(saver.SourceLoop, i), map[string]string{"a": string(rune('b' + i))})
		}
		if got := b.get(""); got.Config != c {
			t.Fatalf("latest = %+v, want %+v", got.Config, c)
		}
	}},
	{"LatestIsTheLargestIDAcrossBranches", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		root := b.put("", meta(saver.SourceInput, -1), nil)
		b.put(root.CheckpointID, meta(saver.SourceLoop, 0), nil)
		fork := b.put(root.CheckpointID, meta(saver.SourceFork, 0), nil)
		if got := b.get(""); got.Config != fork {
			t.Fatalf("latest = %+v, want the newer branch %+v", got.Config, fork)
		}
	}},
	{"UnknownIDIsNotFound", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		b.put("", meta(saver.SourceInput, -1), nil)
		_, err := s.GetTuple(ctx(t), b.cfg(saver.NewCheckpointID("")))
		wantErr(t, err, saver.ErrNotFound, "unknown checkpoint id")
		_, err = s.GetTuple(ctx(t), b.cfg("not-a-uuid"))
		wantErr(t, err, saver.ErrNotFound, "malformed checkpoint id")
	}},
	{"UnknownThreadIsNotFound", func(t *testing.T, s saver.Saver, ns string) {
		_, err := s.GetTuple(ctx(t), saver.Config{ThreadID: "nobody", CheckpointNS: ns})
		wantErr(t, err, saver.ErrNotFound, "unknown thread")
	}},
	{"EmptyThreadIDIsInvalid", func(t *testing.T, s saver.Saver, ns string) {
		_, err := s.GetTuple(ctx(t), saver.Config{CheckpointNS: ns})
		wantErr(t, err, saver.ErrInvalid, "empty thread id")
	}},
	{"NamespacesAreIsolated", func(t *testing.T, s saver.Saver, ns string) {
		other := "other"
		if ns == other {
			other = ""
		}
		b, o := on(t, s, "thread-1", ns), on(t, s, "thread-1", other)
		mine := b.put("", meta(saver.SourceInput, -1), map[string]string{"who": "mine"})
		theirs := o.put("", meta(saver.SourceInput, -1), map[string]string{"who": "theirs"})
		wantValues(t, b.get(""), map[string]string{"who": "mine"})
		wantValues(t, o.get(""), map[string]string{"who": "theirs"})
		_, err := s.GetTuple(ctx(t), b.cfg(theirs.CheckpointID))
		wantErr(t, err, saver.ErrNotFound, "another namespace's checkpoint")
		_, err = s.GetTuple(ctx(t), o.cfg(mine.CheckpointID))
		wantErr(t, err, saver.ErrNotFound, "another namespace's checkpoint")
		_, err = s.GetTuple(ctx(t), saver.Config{ThreadID: "thread-1", CheckpointNS: "never"})
		wantErr(t, err, saver.ErrNotFound, "a namespace with no checkpoints")
	}},
	{"ThreadsAreIsolated", func(t *testing.T, s saver.Saver, ns string) {
		a, b := on(t, s, "alice", ns), on(t, s, "bob", ns)
		ca := a.put("", meta(saver.SourceInput, -1), map[string]string{"name": "alice"})
		b.put("", meta(saver.SourceInput, -1), map[string]string{"name": "bob"})
		wantValues(t, a.get(""), map[string]string{"name": "alice"})
		wantValues(t, b.get(""), map[string]string{"name": "bob"})
		_, err := s.GetTuple(ctx(t), b.cfg(ca.CheckpointID))
		wantErr(t, err, saver.ErrNotFound, "another thread's checkpoint")
	}},
}
