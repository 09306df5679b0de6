package savertest

import (
	"bytes"
	"maps"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

var putCases = []testCase{
	{"ReturnsConfigOfTheNewCheckpoint", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		first := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		cp := newCheckpoint(first.CheckpointID, map[string]string{"a": "2"}, 2)
		got, err := s.Put(ctx(t), saver.PutOp{Config: first, Checkpoint: cp, Metadata: meta(saver.SourceLoop, 0), NewVersions: map[string]uint64{"a": 2}})
		if err != nil {
			t.Fatal(err)
		}
		if want := b.cfg(cp.ID); got != want {
			t.Fatalf("put returned %+v, want %+v", got, want)
		}
	}},
	{"ReadsBackUnchanged", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		parent := b.put("", meta(saver.SourceInput, -1), map[string]string{"x": "0"})
		cp := newCheckpoint(parent.CheckpointID, map[string]string{"x": "1", "y": "two"}, 3)
		cp.VersionsSeen = map[string]map[string]uint64{"a": {"x": 2}, "b": {"x": 1, "y": 3}}
		md := saver.Metadata{
			Source: saver.SourceLoop, Step: 4, RunID: "run-7",
			Parents: map[string]string{"": "root-checkpoint"},
			Extra: map[string]any{
				"user": "alice", "score": int64(-7), "big": int64(1 << 40), "ok": true, "ratio": 0.25,
				"tags": []any{"a", int64(1)}, "nested": map[string]any{"k": "v"},
			},
		}
		got, err := s.Put(ctx(t), saver.PutOp{Config: parent, Checkpoint: cp, Metadata: md, NewVersions: maps.Clone(cp.ChannelVersions)})
		if err != nil {
			t.Fatal(err)
		}
		want := &saver.Tuple{Config: got, Checkpoint: cp, Metadata: md, ParentConfig: &parent}
		wantTuple(t, b.get(cp.ID), want)
		wantTuple(t, b.get(""), want)
	}},
	{"RequiresThreadID", func(t *testing.T, s saver.Saver, ns string) {
		cp := newCheckpoint("", nil, 1)
		_, err := s.Put(ctx(t), saver.PutOp{Config: saver.Config{CheckpointNS: ns}, Checkpoint: cp, Metadata: meta(saver.SourceInput, -1), NewVersions: nil})
		wantErr(t, err, saver.ErrInvalid, "put without thread id")
	}},
	{"RequiresCheckpointID", func(t *testing.T, s saver.Saver, ns string) {
		_, err := s.Put(ctx(t), saver.PutOp{Config: saver.Config{ThreadID: "t", CheckpointNS: ns}, Checkpoint: saver.Checkpoint{}, Metadata: meta(saver.SourceInput, -1), NewVersions: nil})
		wantErr(t, err, saver.ErrInvalid, "put without checkpoint id")
	}},
	{"StoresOnlyNewVersions/none", func(t *testing.T, s saver.Saver, ns string) {
		putWithNewVersions(t, s, ns, nil, map[string]string{})
	}},
	{"StoresOnlyNewVersions/one", func(t *testing.T, s saver.Saver, ns string) {
		putWithNewVersions(t, s, ns, []string{"foo"}, map[string]string{"foo": "FOO"})
	}},
	{"StoresOnlyNewVersions/both", func(t *testing.T, s saver.Saver, ns string) {
		putWithNewVersions(t, s, ns, []string{"foo", "baz"}, map[string]string{"foo": "FOO", "baz": "BAZ"})
	}},
	{"CarriesUnchangedChannelsFromAncestors", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		parent := b.put("", meta(saver.SourceInput, -1), map[string]string{"messages": "hi", "step": "1"})
		cp := newCheckpoint(parent.CheckpointID, map[string]string{"messages": "hi", "step": "2"}, 1)
		cp.ChannelVersions["step"] = 2
		if _, err := s.Put(ctx(t), saver.PutOp{Config: parent, Checkpoint: cp, Metadata: meta(saver.SourceLoop, 0), NewVersions: map[string]uint64{"step": 2}}); err != nil {
			t.Fatal(err)
		}
		child := b.get(cp.ID)
		wantValues(t, child, map[string]string{"messages": "hi", "step": "2"})
		// and a grandchild that changes nothing still sees both
		gc := newCheckpoint(cp.ID, map[string]string{"messages": "hi", "step": "2"}, 1)
		if _, err := s.Put(ctx(t), saver.PutOp{Config: child.Config, Checkpoint: gc, Metadata: meta(saver.SourceLoop, 1), NewVersions: nil}); err != nil {
			t.Fatal(err)
		}
		wantValues(t, b.get(gc.ID), map[string]string{"messages": "hi", "step": "2"})
	}},
	{"SameIDTwiceIsAnUpsert", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		cp := newCheckpoint("", map[string]string{"a": "1"}, 1)
		for _, v := range []string{"1", "2"} {
			cp.ChannelValues["a"] = []byte(v)
			if _, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(""), Checkpoint: cp, Metadata: meta(saver.SourceInput, -1), NewVersions: map[string]uint64{"a": 1}}); err != nil {
				t.Fatal(err)
			}
		}
		got := collect(t, s, saver.ListParams{ThreadID: "thread-1"})
		if len(got) != 1 {
			t.Fatalf("list after two puts of one id: %d tuples, want 1", len(got))
		}
		wantValues(t, got[0], map[string]string{"a": "2"})
	}},
	{"GrowingValuesReadBackAtEveryStep", func(t *testing.T, s saver.Saver, ns string) {
		// A list channel grows by appending; every checkpoint must read back
		// its own length, however the saver stores the growth.
		b := on(t, s, "thread-1", ns)
		var log []byte
		parent := ""
		var ids []string
		for i := range 20 {
			log = append(log, bytes.Repeat([]byte{byte('a' + i)}, 50)...)
			src, step := saver.SourceLoop, i
			if i == 0 {
				src, step = saver.SourceInput, -1
			}
			cp := newCheckpoint(parent, map[string]string{"log": string(log), "n": string(rune('a' + i))}, uint64(i+1))
			cfg, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(parent), Checkpoint: cp, Metadata: meta(src, step), NewVersions: maps.Clone(cp.ChannelVersions)})
			if err != nil {
				t.Fatal(err)
			}
			parent = cfg.CheckpointID
			ids = append(ids, parent)
		}
		for i, id := range ids {
			tu := b.get(id)
			if want := 50 * (i + 1); len(tu.Checkpoint.ChannelValues["log"]) != want {
				t.Fatalf("checkpoint %d: log has %d bytes, want %d", i, len(tu.Checkpoint.ChannelValues["log"]), want)
			}
			if !bytes.Equal(tu.Checkpoint.ChannelValues["log"], log[:50*(i+1)]) {
				t.Fatalf("checkpoint %d: log bytes differ", i)
			}
		}
		// A value that stops being an extension (an edit in the middle) is
		// stored whole.
		edited := bytes.Clone(log)
		edited[10] = 'Z'
		cp := newCheckpoint(parent, map[string]string{"log": string(edited)}, 99)
		if _, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(parent), Checkpoint: cp, Metadata: meta(saver.SourceLoop, 20), NewVersions: map[string]uint64{"log": 99}}); err != nil {
			t.Fatal(err)
		}
		if got := b.get(cp.ID).Checkpoint.ChannelValues["log"]; !bytes.Equal(got, edited) {
			t.Fatal("edited value did not read back")
		}
	}},
	{"LargeValueRoundTrips", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16) // 2 MiB
		big[12345] = 'X'
		cp := newCheckpoint("", nil, 1)
		cp.ChannelValues["big"] = big
		cp.ChannelVersions["big"] = 1
		if _, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(""), Checkpoint: cp, Metadata: meta(saver.SourceInput, -1), NewVersions: map[string]uint64{"big": 1}}); err != nil {
			t.Fatal(err)
		}
		if got := b.get(cp.ID).Checkpoint.ChannelValues["big"]; !bytes.Equal(got, big) {
			t.Fatalf("2 MiB value read back as %d bytes, not equal", len(got))
		}
	}},
	{"SecondLineChildOfAParentConflicts", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		head := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "0"})
		winner := b.put(head.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "winner"})
		loser := newCheckpoint(head.CheckpointID, map[string]string{"a": "loser"}, 2)
		_, err := s.Put(ctx(t), saver.PutOp{Config: head, Checkpoint: loser, Metadata: meta(saver.SourceLoop, 0), NewVersions: map[string]uint64{"a": 2}})
		wantErr(t, err, saver.ErrConflict, "second loop child of one parent")
		_, err = s.GetTuple(ctx(t), b.cfg(loser.ID))
		wantErr(t, err, saver.ErrNotFound, "the loser's checkpoint")
		if got := b.get(""); got.Config != winner {
			t.Fatalf("latest = %+v, want the winner %+v", got.Config, winner)
		}
	}},
	{"ForksAndUpdatesMayBranch", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		root := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "0"})
		b.put(root.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "loop"})
		f := b.put(root.CheckpointID, meta(saver.SourceFork, 0), map[string]string{"a": "fork"})
		u := b.put(root.CheckpointID, meta(saver.SourceUpdate, 0), map[string]string{"a": "update"})
		// each branch continues with its own line
		b.put(f.CheckpointID, meta(saver.SourceLoop, 1), map[string]string{"a": "fork-1"})
		b.put(u.CheckpointID, meta(saver.SourceLoop, 1), map[string]string{"a": "update-1"})
		if n := len(collect(t, s, saver.ListParams{ThreadID: "thread-1"})); n != 6 {
			t.Fatalf("%d checkpoints, want 6", n)
		}
	}},
	{"SiblingForksKeepTheirOwnValues", func(t *testing.T, s saver.Saver, ns string) {
		// Siblings write the same channel at the same version with different
		// values (langgraphjs#1812 lost one of them).
		b := on(t, s, "thread-1", ns)
		root := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "root", "keep": "k"})
		var sibs []saver.Config
		for _, v := range []string{"left", "right", "middle"} {
			cp := newCheckpoint(root.CheckpointID, map[string]string{"a": v, "keep": "k"}, 2)
			cfg, err := s.Put(ctx(t), saver.PutOp{Config: root, Checkpoint: cp, Metadata: meta(saver.SourceFork, 0), NewVersions: map[string]uint64{"a": 2}})
			if err != nil {
				t.Fatal(err)
			}
			sibs = append(sibs, cfg)
		}
		for i, v := range []string{"left", "right", "middle"} {
			wantValues(t, b.get(sibs[i].CheckpointID), map[string]string{"a": v, "keep": "k"})
		}
		wantValues(t, b.get(root.CheckpointID), map[string]string{"a": "root", "keep": "k"})
	}},
}

// putWithNewVersions puts {foo, baz} with only the named channels new and
// checks that exactly those read back.
func putWithNewVersions(t *testing.T, s saver.Saver, ns string, newChannels []string, want map[string]string) {
	b := on(t, s, "thread-1", ns)
	cp := newCheckpoint("", map[string]string{"foo": "FOO", "baz": "BAZ"}, 1)
	nv := map[string]uint64{}
	for _, ch := range newChannels {
		nv[ch] = 1
	}
	if _, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(""), Checkpoint: cp, Metadata: meta(saver.SourceInput, -1), NewVersions: nv}); err != nil {
		t.Fatal(err)
	}
	wantValues(t, b.get(cp.ID), want)
}
