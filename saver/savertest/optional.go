package savertest

import (
	"slices"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// history builds a thread with three checkpoints per namespace, writes on
// the middle one, and returns the configs oldest first.
func history(t *testing.T, s saver.Saver, thread, runID string) []saver.Config {
	var out []saver.Config
	for _, ns := range namespaces {
		b := on(t, s, thread, ns)
		md := saver.Metadata{Source: saver.SourceInput, Step: -1, RunID: runID}
		c := b.put("", md, map[string]string{"v": "0", "ns": ns})
		out = append(out, c)
		for i := 1; i <= 2; i++ {
			md := saver.Metadata{Source: saver.SourceLoop, Step: i - 1, RunID: runID}
			c = b.put(c.CheckpointID, md, map[string]string{"v": string(rune('0' + i)), "ns": ns})
			if i == 1 {
				must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: c, Writes: []saver.Write{w("v", "pending")}, TaskID: "task"}))
			}
			out = append(out, c)
		}
	}
	return out
}

func as[T any](t *testing.T, s saver.Saver, what string) T {
	t.Helper()
	v, ok := s.(T)
	if !ok {
		t.Skipf("%T does not implement %s", s, what)
	}
	return v
}

var optionalCases = []testCase{
	{"CopyThreadHoldsTheSameCheckpointsAndWrites", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Copier](t, s, "saver.Copier")
		history(t, s, "src", "")
		must(t, c.CopyThread(ctx(t), "src", "dst"))
		src := collect(t, s, saver.ListParams{ThreadID: "src"})
		dst := collect(t, s, saver.ListParams{ThreadID: "dst"})
		if !slices.Equal(ids(src), ids(dst)) {
			t.Fatalf("copy holds %v, want %v", ids(dst), ids(src))
		}
		for i := range src {
			want := *src[i]
			want.Config.ThreadID = "dst"
			if want.ParentConfig != nil {
				p := *want.ParentConfig
				p.ThreadID = "dst"
				want.ParentConfig = &p
			}
			wantTuple(t, dst[i], &want)
		}
		// the copy is its own thread: it goes on without touching the source
		head := on(t, s, "dst", "").get("")
		on(t, s, "dst", "").put(head.Config.CheckpointID, meta(saver.SourceLoop, 5), map[string]string{"v": "copy"})
		if n := len(collect(t, s, saver.ListParams{ThreadID: "src"})); n != len(src) {
			t.Fatalf("source changed after writing to the copy: %d tuples", n)
		}
	}},
	{"CopyThreadRefusesAnExistingTarget", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Copier](t, s, "saver.Copier")
		history(t, s, "src", "")
		history(t, s, "dst", "")
		wantErr(t, c.CopyThread(ctx(t), "src", "dst"), saver.ErrConflict, "copy onto an existing thread")
		wantErr(t, c.CopyThread(ctx(t), "nope", "dst2"), saver.ErrNotFound, "copy of an unknown thread")
	}},
	{"ForkThreadStartsFromOneCheckpoint", func(t *testing.T, s saver.Saver, _ string) {
		f := as[saver.Forker](t, s, "saver.Forker")
		cfgs := history(t, s, "src", "")
		mid := cfgs[1]
		got, err := f.ForkThread(ctx(t), mid, "forked")
		must(t, err)
		if got.ThreadID != "forked" || got.CheckpointID == "" || got.CheckpointID == mid.CheckpointID {
			t.Fatalf("fork returned %+v: want a new checkpoint of thread forked", got)
		}
		b := on(t, s, "forked", "")
		tu := b.get("")
		if tu.Config != got {
			t.Fatalf("fork's latest checkpoint is %+v, fork returned %+v", tu.Config, got)
		}
		wantValues(t, tu, map[string]string{"v": "1", "ns": ""})
		// a new checkpoint: the source's pending writes (keyed by tasks of
		// the source checkpoint) stay with the source
		wantWrites(t, tu, nil)
		if tu.Metadata.Source != saver.SourceFork || tu.Metadata.RunID != "" {
			t.Fatalf("fork's first checkpoint has metadata %+v, want source fork and no run", tu.Metadata)
		}
		if tu.ParentConfig == nil || *tu.ParentConfig != mid {
			t.Fatalf("fork's first checkpoint has parent %+v, want the source checkpoint %+v", tu.ParentConfig, mid)
		}
		if n := len(collect(t, s, saver.ListParams{ThreadID: "forked"})); n != 1 {
			t.Fatalf("fork holds %d checkpoints, want 1", n)
		}
		// the fork continues on its own line
		b.put(tu.Config.CheckpointID, meta(saver.SourceLoop, 1), map[string]string{"v": "forked"})
		wantValues(t, on(t, s, "src", "").get(""), map[string]string{"v": "2", "ns": ""})
		_, err = f.ForkThread(ctx(t), saver.Config{ThreadID: "src", CheckpointID: saver.NewCheckpointID("")}, "other")
		wantErr(t, err, saver.ErrNotFound, "fork from an unknown checkpoint")
		_, err = f.ForkThread(ctx(t), mid, "forked")
		wantErr(t, err, saver.ErrConflict, "fork onto an existing thread")
	}},
	{"ForkThreadsFirstCheckpointIsANewForkOfTheSource", func(t *testing.T, s saver.Saver, _ string) {
		// LangGraph's copy_thread and fork make a new checkpoint whose
		// parent is the one forked: the source's id stays the source's, and
		// the fork's history leads back to it.
		f := as[saver.Forker](t, s, "saver.Forker")
		cfgs := history(t, s, "src", "run-src")
		for _, src := range []saver.Config{cfgs[1], cfgs[4], {ThreadID: "src"}} {
			dst := "fork-of-" + src.CheckpointNS + "-" + src.CheckpointID
			want, err := s.GetTuple(ctx(t), src)
			must(t, err)
			got, err := f.ForkThread(ctx(t), src, dst)
			must(t, err)
			tu := on(t, s, dst, want.Config.CheckpointNS).get(got.CheckpointID)
			if tu.Config.CheckpointID == want.Config.CheckpointID {
				t.Fatalf("the fork of %+v reuses the source's checkpoint id", want.Config)
			}
			if tu.Metadata.Source != saver.SourceFork || tu.Metadata.RunID != "" {
				t.Fatalf("the fork's first checkpoint has source %q run %q, want %q and no run", tu.Metadata.Source, tu.Metadata.RunID, saver.SourceFork)
			}
			if tu.ParentConfig == nil || *tu.ParentConfig != want.Config {
				t.Fatalf("the fork's parent is %+v, want the source checkpoint %+v", tu.ParentConfig, want.Config)
			}
			parent, err := s.GetTuple(ctx(t), *tu.ParentConfig)
			must(t, err)
			wantTuple(t, parent, want)
			wantValues(t, tu, values(want))
		}
	}},
	{"DeleteForRunsOfTheSourceKeepsAFork", func(t *testing.T, s saver.Saver, _ string) {
		f := as[saver.Forker](t, s, "saver.Forker")
		d := as[saver.RunDeleter](t, s, "saver.RunDeleter")
		cfgs := history(t, s, "src", "run-src")
		got, err := f.ForkThread(ctx(t), cfgs[2], "forked")
		must(t, err)
		must(t, d.DeleteForRuns(ctx(t), []string{"run-src"}))
		if n := len(collect(t, s, saver.ListParams{ThreadID: "src"})); n != 0 {
			t.Fatalf("the source keeps %d checkpoints of the deleted run", n)
		}
		tu := on(t, s, "forked", "").get("")
		if tu.Config != got {
			t.Fatalf("after rolling back the source's run the fork's latest is %+v, want %+v", tu.Config, got)
		}
		wantValues(t, tu, map[string]string{"v": "2", "ns": ""})
	}},
	{"PruneKeepsTheLatestPerNamespace", func(t *testing.T, s saver.Saver, _ string) {
		p := as[saver.Pruner](t, s, "saver.Pruner")
		cfgs := history(t, s, "long", "")
		history(t, s, "other", "")
		must(t, p.Prune(ctx(t), []string{"long"}, saver.PruneKeepLatest))
		got := collect(t, s, saver.ListParams{ThreadID: "long"})
		want := []string{cfgs[5].CheckpointID, cfgs[2].CheckpointID}
		slices.Sort(want)
		slices.Reverse(want)
		if !slices.Equal(ids(got), want) {
			t.Fatalf("after prune: %v, want %v", ids(got), want)
		}
		for _, tu := range got {
			wantValues(t, tu, map[string]string{"v": "2", "ns": tu.Config.CheckpointNS})
		}
		if n := len(collect(t, s, saver.ListParams{ThreadID: "other"})); n != 6 {
			t.Fatalf("prune touched another thread: %d tuples", n)
		}
		// the pruned thread goes on from its head
		b := on(t, s, "long", "")
		b.put(b.get("").Config.CheckpointID, meta(saver.SourceLoop, 9), map[string]string{"v": "3"})
	}},
	{"PruneDeleteDropsTheThread", func(t *testing.T, s saver.Saver, _ string) {
		p := as[saver.Pruner](t, s, "saver.Pruner")
		history(t, s, "long", "")
		must(t, p.Prune(ctx(t), []string{"long"}, saver.PruneDelete))
		if n := len(collect(t, s, saver.ListParams{ThreadID: "long"})); n != 0 {
			t.Fatalf("after prune delete: %d tuples", n)
		}
		wantErr(t, p.Prune(ctx(t), []string{"long"}, "sideways"), saver.ErrInvalid, "unknown prune strategy")
	}},
	{"DeleteForRunsRollsBackThoseRuns", func(t *testing.T, s saver.Saver, _ string) {
		d := as[saver.RunDeleter](t, s, "saver.RunDeleter")
		history(t, s, "t1", "run-bad")
		keep := history(t, s, "t2", "run-good")
		history(t, s, "t3", "run-bad")
		must(t, d.DeleteForRuns(ctx(t), []string{"run-bad"}))
		for _, th := range []string{"t1", "t3"} {
			if n := len(collect(t, s, saver.ListParams{ThreadID: th})); n != 0 {
				t.Fatalf("thread %s keeps %d checkpoints of the deleted run", th, n)
			}
		}
		if n := len(collect(t, s, saver.ListParams{ThreadID: "t2"})); n != len(keep) {
			t.Fatalf("thread t2 has %d checkpoints, want %d", n, len(keep))
		}
		// a later run on t1 builds afresh and the rolled-back one stays gone
		on(t, s, "t1", "").put("", meta(saver.SourceInput, -1), map[string]string{"v": "new"})
		if n := len(collect(t, s, saver.ListParams{ThreadID: "t1"})); n != 1 {
			t.Fatalf("t1 has %d checkpoints after a new run, want 1", n)
		}
	}},
	{"DeleteForRunsKeepsDescendantsReadable", func(t *testing.T, s saver.Saver, _ string) {
		d := as[saver.RunDeleter](t, s, "saver.RunDeleter")
		b := on(t, s, "mixed", "")
		first := b.put("", saver.Metadata{Source: saver.SourceInput, Step: -1, RunID: "old"}, map[string]string{"a": "1", "b": "1"})
		cp := newCheckpoint(first.CheckpointID, map[string]string{"a": "2", "b": "1"}, 2)
		second, err := s.Put(ctx(t), saver.PutOp{Config: first, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceLoop, RunID: "new"}, NewVersions: map[string]uint64{"a": 2}})
		must(t, err)
		must(t, d.DeleteForRuns(ctx(t), []string{"old"}))
		wantValues(t, b.get(second.CheckpointID), map[string]string{"a": "2", "b": "1"})
	}},
	{"CommitStoresAllOpsOrNone", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Committer](t, s, "saver.Committer")
		b := on(t, s, "committed", "")
		in := newCheckpoint("", map[string]string{"a": "in"}, 1)
		step := newCheckpoint(in.ID, map[string]string{"a": "step"}, 2)
		outs, err := c.Commit(ctx(t), []saver.Op{
			{Put: &saver.PutOp{Config: b.cfg(""), Checkpoint: in, Metadata: meta(saver.SourceInput, -1), NewVersions: map[string]uint64{"a": 1}}},
			{Writes: &saver.WritesOp{Config: b.cfg(in.ID), Writes: []saver.Write{w("a", "step")}, TaskID: "__start__"}},
			{Put: &saver.PutOp{Config: b.cfg(in.ID), Checkpoint: step, Metadata: meta(saver.SourceLoop, 0), NewVersions: map[string]uint64{"a": 2}}},
		})
		must(t, err)
		if len(outs) != 2 || outs[0] != b.cfg(in.ID) || outs[1] != b.cfg(step.ID) {
			t.Fatalf("commit returned %+v", outs)
		}
		wantWrites(t, b.get(in.ID), [][3]string{{"__start__", "a", "step"}})
		wantValues(t, b.get(""), map[string]string{"a": "step"})

		// a failing op leaves nothing of the batch behind
		next := newCheckpoint(step.ID, map[string]string{"a": "next"}, 3)
		_, err = c.Commit(ctx(t), []saver.Op{
			{Writes: &saver.WritesOp{Config: b.cfg(step.ID), Writes: []saver.Write{w("a", "x")}, TaskID: "t"}},
			{Put: &saver.PutOp{Config: b.cfg(step.ID), Checkpoint: next, Metadata: meta(saver.SourceLoop, 1), NewVersions: map[string]uint64{"a": 3}}},
			{Put: &saver.PutOp{Config: b.cfg(in.ID), Checkpoint: newCheckpoint(in.ID, nil, 4), Metadata: meta(saver.SourceLoop, 0)}},
		})
		wantErr(t, err, saver.ErrConflict, "commit whose last op conflicts")
		got := b.get("")
		if got.Checkpoint.ID != step.ID || len(got.PendingWrites) != 0 {
			t.Fatalf("a failed commit left %s with writes %q", got.Checkpoint.ID, pendingWrites(got))
		}
		_, err = c.Commit(ctx(t), []saver.Op{
			{Put: &saver.PutOp{Config: b.cfg(step.ID), Checkpoint: next, Metadata: meta(saver.SourceLoop, 1)}},
			{Put: &saver.PutOp{Config: saver.Config{ThreadID: "elsewhere"}, Checkpoint: newCheckpoint("", nil, 1), Metadata: meta(saver.SourceInput, -1)}},
		})
		wantErr(t, err, saver.ErrInvalid, "commit across threads")
		// and the saver goes on normally afterwards
		b.put(step.ID, meta(saver.SourceLoop, 1), map[string]string{"a": "after"})
	}},
	{"CommitIfLatestRefusesAParentThatIsNoLongerLatest", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Committer](t, s, "saver.Committer")
		b := on(t, s, "latest", "")
		put := func(parent string, md saver.Metadata) (saver.Checkpoint, error) {
			cp := newCheckpoint(parent, map[string]string{"a": parent}, 2)
			_, err := c.Commit(ctx(t), []saver.Op{{Put: &saver.PutOp{Config: b.cfg(parent), Checkpoint: cp, Metadata: md, NewVersions: map[string]uint64{"a": 2}, IfLatest: true}}})
			return cp, err
		}
		first, err := put("", meta(saver.SourceInput, -1)) // nothing yet: "" is the latest
		must(t, err)
		_, err = put("", meta(saver.SourceInput, -1))
		wantErr(t, err, saver.ErrStale, "IfLatest on no checkpoint when the thread has one")
		wantErr(t, err, saver.ErrConflict, "IfLatest on no checkpoint when the thread has one")
		update := b.put(first.ID, meta(saver.SourceUpdate, 0), map[string]string{"a": "edited"})
		_, err = put(first.ID, meta(saver.SourceLoop, 0)) // an update branch moved the head
		wantErr(t, err, saver.ErrStale, "IfLatest on a checkpoint an update superseded")
		if got := b.get(""); got.Checkpoint.ID != update.CheckpointID {
			t.Fatalf("latest is %s after a refused commit, want %s", got.Checkpoint.ID, update.CheckpointID)
		}
		_, err = put(update.CheckpointID, meta(saver.SourceLoop, 1))
		must(t, err)
	}},
	{"GetTupleCachedAnswersAsGetTuple", func(t *testing.T, s saver.Saver, _ string) {
		g := as[saver.CachedGetter](t, s, "saver.CachedGetter")
		_, err := g.GetTupleCached(ctx(t), saver.Config{ThreadID: "cached"})
		wantErr(t, err, saver.ErrNotFound, "cached read of an empty thread")
		cfgs := history(t, s, "cached", "")
		for _, cfg := range append(cfgs, saver.Config{ThreadID: "cached"}) {
			want, err := s.GetTuple(ctx(t), cfg)
			must(t, err)
			got, err := g.GetTupleCached(ctx(t), cfg)
			must(t, err)
			wantTuple(t, got, want)
		}
		_, err = g.GetTupleCached(ctx(t), saver.Config{ThreadID: "cached", CheckpointID: saver.NewCheckpointID("")})
		wantErr(t, err, saver.ErrNotFound, "cached read of an unknown checkpoint")
		_, err = g.GetTupleCached(ctx(t), saver.Config{})
		wantErr(t, err, saver.ErrInvalid, "cached read without a thread id")
	}},
	{"LocateFindsTheThreadOfACheckpoint", func(t *testing.T, s saver.Saver, _ string) {
		l := as[saver.Locator](t, s, "saver.Locator")
		history(t, s, "one", "")
		cfgs := history(t, s, "two", "")
		got, err := l.Locate(ctx(t), cfgs[4].CheckpointID)
		must(t, err)
		if got != cfgs[4] {
			t.Fatalf("located %+v, want %+v", got, cfgs[4])
		}
		_, err = l.Locate(ctx(t), saver.NewCheckpointID(""))
		wantErr(t, err, saver.ErrNotFound, "locate an unknown checkpoint")
	}},
}
