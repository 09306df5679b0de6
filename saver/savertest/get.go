package savertest

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

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
		second, err := s.Put(ctx(t), saver.PutOp{Config: first, Checkpoint: cp, Metadata: md, NewVersions: map[string]uint64{"a": 2, "b": 2}})
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
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: second, Writes: []saver.Write{w("a", "w")}, TaskID: "task"}))

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
	{"LatestIsTheLastPutAcrossBranches", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		root := b.put("", meta(saver.SourceInput, -1), nil)
		b.put(root.CheckpointID, meta(saver.SourceLoop, 0), nil)
		fork := b.put(root.CheckpointID, meta(saver.SourceFork, 0), nil)
		if got := b.get(""); got.Config != fork {
			t.Fatalf("latest = %+v, want the newer branch %+v", got.Config, fork)
		}
	}},
	{"LatestIsTheLastCommittedEvenWhenIDsGoBack", func(t *testing.T, s saver.Saver, ns string) {
		// A host whose clock went back makes ids (and times) that sort
		// before its parent's: the latest is still the checkpoint committed
		// last, and List still yields the newest committed first.
		b := on(t, s, "thread-1", ns)
		parent := ""
		var put []saver.Config
		for i, ms := range []int64{3_000_000, 2_000_000, 1_000_000, 1_500_000} {
			cp := newCheckpoint(parent, map[string]string{"a": fmt.Sprint(i)}, uint64(i+1))
			cp.ID = idAt(ms, uint64(i))
			cp.TS = time.UnixMilli(ms).UTC()
			md := meta(saver.SourceLoop, i)
			if i == 0 {
				md = meta(saver.SourceInput, -1)
			}
			cfg, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(parent), Checkpoint: cp, Metadata: md, NewVersions: maps.Clone(cp.ChannelVersions)})
			must(t, err)
			put = append(put, cfg)
			parent = cfg.CheckpointID
			if got := b.get(""); got.Config != cfg {
				t.Fatalf("after put %d the latest is %s, want the last put %s", i, got.Config.CheckpointID, cfg.CheckpointID)
			}
			wantValues(t, b.get(""), map[string]string{"a": fmt.Sprint(i)})
		}
		got := collect(t, s, saver.ListParams{ThreadID: "thread-1", Namespace: saver.NS(ns)})
		want := slices.Clone(put)
		slices.Reverse(want)
		var gotCfgs []saver.Config
		for _, tu := range got {
			gotCfgs = append(gotCfgs, tu.Config)
		}
		if !slices.Equal(gotCfgs, want) {
			t.Fatalf("list yields %v, want the newest committed first %v", ids(got), configIDs(want))
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

// idAt returns a UUIDv7 string with the given millisecond timestamp and
// counter: the id a host whose clock reads ms would make.
func idAt(ms int64, n uint64) string {
	return fmt.Sprintf("%08x-%04x-7000-8000-%012x", uint64(ms)>>16, uint64(ms)&0xffff, n)
}

func configIDs(cfgs []saver.Config) []string {
	var out []string
	for _, c := range cfgs {
		out = append(out, c.CheckpointID)
	}
	return out
}
