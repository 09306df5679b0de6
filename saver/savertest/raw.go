package savertest

import (
	"bytes"
	"fmt"
	"maps"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// RawRows returns every value the saver's storage holds, one element per
// column of every row of every table (events, snapshots, blobs, ...),
// read past the saver. It registers nothing with t.
type RawRows func(t *testing.T) [][]byte

// NewRawSaver returns a fresh, empty saver and a reader of its storage. It
// should take snapshots often (eventstore.Options.MinSnapshotBytes 1), so
// that they are scanned too.
type NewRawSaver func(t *testing.T) (saver.Saver, RawRows)

// RunRawDeletion checks that what DeleteThread, Prune and DeleteForRuns
// drop is gone from storage, not just from reads: after each, no stored
// byte sequence holds a value or write of a dropped checkpoint, while those
// of the kept ones are still found (so the scan does see the data).
func RunRawDeletion(t *testing.T, newSaver NewRawSaver) {
	t.Run("DeleteThreadLeavesNoBytesOfTheThread", func(t *testing.T) {
		t.Parallel()
		s, raw := newSaver(t)
		var doomed []string
		for _, ns := range namespaces {
			doomed = append(doomed, markedLine(t, s, "doomed", ns, "", fmt.Sprintf("doomed-%s-", nsName(ns)), 3)...)
		}
		kept := markedLine(t, s, "kept", "", "", "kept-", 2)
		wantRaw(t, raw, append(doomed, kept...), nil, "before the delete")
		must(t, s.DeleteThread(ctx(t), "doomed"))
		wantRaw(t, raw, kept, doomed, "after DeleteThread")
	})
	t.Run("PruneLeavesNoBytesOfDroppedCheckpoints", func(t *testing.T) {
		t.Parallel()
		s, raw := newSaver(t)
		p := as[saver.Pruner](t, s, "saver.Pruner")
		var dropped, kept []string
		for _, ns := range namespaces {
			line := markedLine(t, s, "pruned", ns, "", fmt.Sprintf("pruned-%s-", nsName(ns)), 4)
			// the latest checkpoint's value and write are kept: the last two
			dropped, kept = append(dropped, line[:len(line)-2]...), append(kept, line[len(line)-2:]...)
		}
		other := markedLine(t, s, "other", "", "", "other-", 3)
		wantRaw(t, raw, append(append(dropped, kept...), other...), nil, "before the prune")
		must(t, p.Prune(ctx(t), []string{"pruned"}, saver.PruneKeepLatest))
		wantRaw(t, raw, append(kept, other...), dropped, "after Prune(keep latest)")
	})
	t.Run("DeleteForRunsLeavesNoBytesOfTheRuns", func(t *testing.T) {
		t.Parallel()
		s, raw := newSaver(t)
		d := as[saver.RunDeleter](t, s, "saver.RunDeleter")
		good := markedLine(t, s, "mixed", "", "run-good", "good-", 2)
		head := on(t, s, "mixed", "").get("")
		bad := markedLine(t, s, "mixed", "", "run-bad", "bad-", 3, head.Config.CheckpointID)
		bad = append(bad, markedLine(t, s, "all-bad", "", "run-bad", "all-bad-", 2)...)
		wantRaw(t, raw, append(good, bad...), nil, "before the rollback")
		must(t, d.DeleteForRuns(ctx(t), []string{"run-bad"}))
		wantRaw(t, raw, good, bad, "after DeleteForRuns")
	})
}

// markedLine puts n checkpoints in a line on a thread and namespace (after
// parent, if given), each with a small and a large value marked with a
// marker of its own and a pending write marked with another. It returns the
// markers, the checkpoint's then its write's, oldest first. Every put sets
// every channel, so no checkpoint's values hold an older one's marker.
func markedLine(t *testing.T, s saver.Saver, thread, ns, runID, prefix string, n int, parent ...string) []string {
	t.Helper()
	b := on(t, s, thread, ns)
	prev := ""
	if len(parent) > 0 {
		prev = parent[0]
	}
	var markers []string
	for i := range n {
		value, write := fmt.Sprintf("<%svalue-%d>", prefix, i), fmt.Sprintf("<%swrite-%d>", prefix, i)
		cp := newCheckpoint(prev, map[string]string{"v": value}, uint64(i+1))
		big := bytes.Repeat([]byte{'.'}, 300<<10)
		copy(big[1000:], value)
		cp.ChannelValues["big"], cp.ChannelVersions["big"] = big, uint64(i+1)
		md := saver.Metadata{Source: saver.SourceLoop, Step: i, RunID: runID}
		if prev == "" {
			md.Source, md.Step = saver.SourceInput, -1
		}
		cfg, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(prev), Checkpoint: cp, Metadata: md, NewVersions: maps.Clone(cp.ChannelVersions)})
		if err != nil {
			t.Fatalf("put %s on %q: %v", value, thread, err)
		}
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("v", write)}, TaskID: "task"}))
		markers = append(markers, value, write)
		prev = cfg.CheckpointID
	}
	return markers
}

// wantRaw checks that every marker of present, and none of absent, is in
// some stored value.
func wantRaw(t *testing.T, raw RawRows, present, absent []string, when string) {
	t.Helper()
	rows := raw(t)
	found := func(m string) int {
		n := 0
		for _, r := range rows {
			n += bytes.Count(r, []byte(m))
		}
		return n
	}
	for _, m := range present {
		if found(m) == 0 {
			t.Errorf("%s: %s is not in storage, want it kept", when, m)
		}
	}
	for _, m := range absent {
		if n := found(m); n > 0 {
			t.Errorf("%s: %s is still stored %d times, want it gone", when, m, n)
		}
	}
}
