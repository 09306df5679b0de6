package savertest

import (
	"errors"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// leaseCases check saver.LeaseOp: a run's claim on a thread, made, renewed
// and released in its commits.
var leaseCases = []testCase{
	{"CommitLeasedByAnotherLiveRunIsBusyAndStoresNothing", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Committer](t, s, "saver.Committer")
		b := on(t, s, "leased", "")
		until := time.Now().Add(time.Hour)
		first := newCheckpoint("", map[string]string{"a": "A"}, 1)
		_, err := c.Commit(ctx(t), []saver.Op{
			lease("leased", "run-a", until, ""),
			{Put: &saver.PutOp{Config: b.cfg(""), Checkpoint: first, Metadata: runMeta(saver.SourceInput, -1, "run-a"), NewVersions: map[string]uint64{"a": 1}}},
		})
		must(t, err)

		intruder := newCheckpoint(first.ID, map[string]string{"a": "B"}, 2)
		_, err = c.Commit(ctx(t), []saver.Op{
			lease("leased", "run-b", time.Now().Add(time.Hour), ""),
			{Writes: &saver.WritesOp{Config: b.cfg(first.ID), Writes: []saver.Write{w("a", "B")}, TaskID: "task-b"}},
			{Put: &saver.PutOp{Config: b.cfg(first.ID), Checkpoint: intruder, Metadata: runMeta(saver.SourceLoop, 0, "run-b"), NewVersions: map[string]uint64{"a": 2}}},
		})
		wantErr(t, err, saver.ErrConflict, "commit of run-b while run-a holds the thread")
		var busy *saver.BusyError
		if !errors.As(err, &busy) || busy.RunID != "run-a" || busy.ThreadID != "leased" || !busy.Until.Equal(until) {
			t.Fatalf("commit of run-b while run-a holds the thread: %v, want a *saver.BusyError naming run-a until %s", err, until)
		}
		_, err = s.GetTuple(ctx(t), b.cfg(intruder.ID))
		wantErr(t, err, saver.ErrNotFound, "the refused run's checkpoint")
		got := b.get("")
		if got.Checkpoint.ID != first.ID || len(got.PendingWrites) != 0 {
			t.Fatalf("a refused commit left latest %s with writes %q", got.Checkpoint.ID, pendingWrites(got))
		}

		// the holder renews its claim as it goes on
		next := newCheckpoint(first.ID, map[string]string{"a": "A2"}, 2)
		_, err = c.Commit(ctx(t), []saver.Op{
			lease("leased", "run-a", time.Now().Add(2*time.Hour), first.ID),
			{Put: &saver.PutOp{Config: b.cfg(first.ID), Checkpoint: next, Metadata: runMeta(saver.SourceLoop, 0, "run-a"), NewVersions: map[string]uint64{"a": 2}}},
		})
		must(t, err)
		wantValues(t, b.get(""), map[string]string{"a": "A2"})
	}},
	{"ReleasedLeaseLetsAnotherRunClaim", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Committer](t, s, "saver.Committer")
		head := on(t, s, "leased", "").put("", meta(saver.SourceInput, -1), map[string]string{"a": "0"})
		commitOK(t, c, lease("leased", "run-a", time.Now().Add(time.Hour), head.CheckpointID))
		commitOK(t, c, lease("leased", "run-a", time.Time{}, "")) // released
		commitOK(t, c, lease("leased", "run-b", time.Now().Add(time.Hour), head.CheckpointID))
		_, err := c.Commit(ctx(t), []saver.Op{lease("leased", "run-a", time.Now().Add(time.Hour), "")})
		wantErr(t, err, saver.ErrConflict, "run-a claiming again while run-b holds the thread")
	}},
	{"LapsedLeaseLetsAnotherRunClaim", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Committer](t, s, "saver.Committer")
		on(t, s, "leased", "").put("", meta(saver.SourceInput, -1), map[string]string{"a": "0"})
		// run-a crashed: its claim ran out a minute ago
		commitOK(t, c, lease("leased", "run-a", time.Now().Add(-time.Minute), ""))
		commitOK(t, c, lease("leased", "run-b", time.Now().Add(time.Hour), ""))
		_, err := c.Commit(ctx(t), []saver.Op{lease("leased", "run-a", time.Now().Add(time.Hour), "")})
		var busy *saver.BusyError
		if !errors.As(err, &busy) || busy.RunID != "run-b" {
			t.Fatalf("run-a back after its lease lapsed and run-b claimed: %v, want a *saver.BusyError naming run-b", err)
		}
	}},
	{"LeaseIfLatestRefusesAHeadThatMovedOn", func(t *testing.T, s saver.Saver, _ string) {
		c := as[saver.Committer](t, s, "saver.Committer")
		b := on(t, s, "leased", "")
		first := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "0"})
		second := b.put(first.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"a": "1"})
		_, err := c.Commit(ctx(t), []saver.Op{lease("leased", "run-a", time.Now().Add(time.Hour), first.CheckpointID)})
		wantErr(t, err, saver.ErrStale, "a lease read at a head that moved on")
		wantErr(t, err, saver.ErrConflict, "a lease read at a head that moved on")
		// nothing was claimed: another run may take the thread
		commitOK(t, c, lease("leased", "run-b", time.Now().Add(time.Hour), second.CheckpointID))
	}},
}

func lease(thread, runID string, until time.Time, ifLatest string) saver.Op {
	return saver.Op{Lease: &saver.LeaseOp{ThreadID: thread, RunID: runID, Until: until, IfLatest: ifLatest}}
}

func runMeta(source saver.Source, step int, runID string) saver.Metadata {
	return saver.Metadata{Source: source, Step: step, RunID: runID}
}

func commitOK(t *testing.T, c saver.Committer, ops ...saver.Op) {
	t.Helper()
	if _, err := c.Commit(ctx(t), ops); err != nil {
		t.Fatalf("commit %+v: %v", ops[0].Lease, err)
	}
}
