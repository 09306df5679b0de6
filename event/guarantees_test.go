package event

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// putAt is script.put with a chosen checkpoint id and metadata.
func (s *script) putAt(id, parent string, md saver.Metadata, vals map[string]string) {
	s.t.Helper()
	cp := saver.Checkpoint{ID: id, TS: time.Unix(1700000000, 0), ChannelValues: map[string][]byte{}, ChannelVersions: map[string]uint64{}}
	nv := map[string]uint64{}
	for k, v := range vals {
		cp.ChannelValues[k] = []byte(v)
		cp.ChannelVersions[k] = 1
		nv[k] = 1
	}
	recs, _, err := s.thread.PlanPut(saver.Config{ThreadID: s.thread.ID, CheckpointID: parent}, cp, md, nv)
	s.commit(recs, err)
}

func TestReputWithANewerParentReadsTheSameFromSnapshotAndLog(t *testing.T) {
	t.Parallel()
	s := newScript(t, "t")
	long := string(bytes.Repeat([]byte("v"), 200))
	a := s.put("", saver.SourceInput, map[string]string{"log": long})
	b := s.put(a, saver.SourceLoop, map[string]string{"log": long + "b"})
	c := s.put(b, saver.SourceLoop, map[string]string{"log": long + "bc"})
	// b again, now as a child of c: its first position is before c
	s.putAt(b, c, saver.Metadata{Source: saver.SourceUpdate}, map[string]string{"log": long + "bcb", "x": "1"})
	// a again with other values: c was made over the old a and b
	s.putAt(a, "", saver.Metadata{Source: saver.SourceUpdate}, map[string]string{"other": "y"})
	s.want = map[string]map[string]string{} // values are checked against the cold fold instead
	s.check()
	if ref, _ := s.thread.Latest(""); ref.ID != a {
		t.Fatalf("latest is %s, want the checkpoint put last (%s)", ref.ID, a)
	}
}

func TestLatestFollowsTheLogNotTheIDs(t *testing.T) {
	t.Parallel()
	s := newScript(t, "t")
	// A host whose clock is behind writes after one whose clock is ahead:
	// its ids sort lower, but it wrote last.
	ahead := saver.NewCheckpointID("")
	behind := "00000000-0000-7000-8000-000000000001"
	s.putAt(ahead, "", saver.Metadata{Source: saver.SourceInput, Step: -1}, map[string]string{"v": "1"})
	s.putAt(behind, ahead, saver.Metadata{Source: saver.SourceLoop}, map[string]string{"v": "2"})
	s.check()
	if ref, _ := s.thread.Latest(""); ref.ID != behind {
		t.Fatalf("latest is %s, want %s (committed last)", ref.ID, behind)
	}
	if refs := s.thread.Select(saver.ListParams{}); refs[0].ID != behind {
		t.Fatalf("history starts with %s, want %s", refs[0].ID, behind)
	}
	if refs := s.thread.Select(saver.ListParams{Before: behind}); len(refs) != 1 || refs[0].ID != ahead {
		t.Fatalf("before %s: %v, want the checkpoint committed before it", behind, refs)
	}
}

func TestForkOntoADeletedThreadKeepsItDeleted(t *testing.T) {
	t.Parallel()
	src := newScript(t, "src")
	from := src.put("", saver.SourceInput, map[string]string{"v": "src"})
	dst := newScript(t, "dst")
	p := dst.put("", saver.SourceInput, map[string]string{"v": "p"})
	c := dst.put(p, saver.SourceLoop, map[string]string{"v": "c"})
	dst.commit(dst.thread.PlanDelete(), nil)
	for name, plan := range map[string]func() []Record{
		"fork": func() []Record {
			r, _, err := src.thread.PlanFork(saver.Config{ThreadID: "src", CheckpointID: from})
			must(t, err)
			return r
		},
		"copy": src.thread.PlanCopy,
	} {
		dst.commit(plan(), nil)
		dst.check()
		_, _, err := dst.thread.PlanPut(saver.Config{ThreadID: "dst", CheckpointID: c}, saver.Checkpoint{ID: saver.NewCheckpointID(c)}, saver.Metadata{Source: saver.SourceLoop}, nil)
		if !errors.Is(err, saver.ErrDeleted) {
			t.Fatalf("%s: a late put on the deleted checkpoint: %v, want ErrDeleted", name, err)
		}
		restored, err := Restore(mustSnapshot(t, dst.thread))
		must(t, err)
		if _, _, err := restored.PlanPut(saver.Config{ThreadID: "dst", CheckpointID: c}, saver.Checkpoint{ID: saver.NewCheckpointID(c)}, saver.Metadata{Source: saver.SourceLoop}, nil); !errors.Is(err, saver.ErrDeleted) {
			t.Fatalf("%s: from a snapshot, a late put on the deleted checkpoint: %v, want ErrDeleted", name, err)
		}
	}
}

func TestAnEventOfAnotherThreadIsCorrupt(t *testing.T) {
	t.Parallel()
	a := newScript(t, "a")
	a.put("", saver.SourceInput, map[string]string{"v": "secret"})
	recs, _, err := a.thread.PlanPut(saver.Config{ThreadID: "a"}, saver.Checkpoint{ID: saver.NewCheckpointID("")}, saver.Metadata{Source: saver.SourceUpdate}, nil)
	must(t, err)
	recs[0].Thread = a.thread.Binding()
	payload := mustEncode(t, recs)
	victim := NewThread("b")
	err = victim.Apply(5, payload)
	var de *DecodeError
	if !errors.As(err, &de) || de.Thread != "b" || de.Seq != 5 || !errors.Is(err, saver.ErrCorrupt) {
		t.Fatalf("apply of a's event to b: %v, want a corrupt event naming b and 5", err)
	}
	if !victim.Empty() {
		t.Fatal("the other thread's event was folded in")
	}
	if err := NewThread("a").Apply(1, payload); err != nil {
		t.Fatalf("its own thread: %v", err)
	}
}

func TestLeaseRefusesAnotherRunUntilItLapsesOrIsReleased(t *testing.T) {
	t.Parallel()
	s := newScript(t, "t")
	now := time.Unix(1800000000, 0)
	lease := func(run string, until time.Time) ([]Record, error) {
		return s.thread.PlanLease(saver.LeaseOp{ThreadID: "t", RunID: run, Until: until}, now)
	}
	s.commit(lease("r1", now.Add(time.Second)))
	_, err := lease("r2", now.Add(time.Second))
	var busy *saver.BusyError
	if !errors.As(err, &busy) || busy.RunID != "r1" || !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("claim while r1 holds: %v", err)
	}
	s.commit(lease("r1", now.Add(2*time.Second))) // renewal
	restored, err := Restore(mustSnapshot(t, s.thread))
	must(t, err)
	if run, until, ok := restored.Lease(); !ok || run != "r1" || !until.Equal(now.Add(2*time.Second)) {
		t.Fatalf("lease after restore: %s %v %v", run, until, ok)
	}
	s.commit(lease("r1", time.Time{})) // release
	s.commit(lease("r2", now.Add(-time.Second)))
	s.commit(lease("r3", now.Add(time.Second))) // r2's lease lapsed
	id := s.put("", saver.SourceInput, map[string]string{"v": "1"})
	if _, err := s.thread.PlanLease(saver.LeaseOp{ThreadID: "t", RunID: "r3", Until: now.Add(time.Second), IfLatest: "nope"}, now); !errors.Is(err, saver.ErrStale) {
		t.Fatalf("claim on a head that moved: %v, want ErrStale", err)
	}
	_, err = s.thread.PlanLease(saver.LeaseOp{ThreadID: "t", RunID: "r3", Until: now.Add(time.Second), IfLatest: id}, now)
	must(t, err)
	s.check()
}

func TestForkIsANewCheckpointPointingAtItsSource(t *testing.T) {
	t.Parallel()
	src := newScript(t, "src")
	from := src.put("", saver.SourceInput, map[string]string{"v": "1"})
	recs, at, err := src.thread.PlanFork(saver.Config{ThreadID: "src"})
	must(t, err)
	dst := newScript(t, "dst")
	dst.commit(recs, nil)
	dst.check()
	tu := dst.thread.Tuple(Ref{ID: at.CheckpointID})
	if at.CheckpointID == from || tu.Metadata.Source != saver.SourceFork || tu.ParentConfig == nil ||
		*tu.ParentConfig != (saver.Config{ThreadID: "src", CheckpointID: from}) {
		t.Fatalf("fork checkpoint %s: metadata %+v parent %+v", at.CheckpointID, tu.Metadata, tu.ParentConfig)
	}
}

func TestLargeValuesTravelOutOfLine(t *testing.T) {
	t.Parallel()
	s := newScript(t, "t")
	s.thread.BlobThreshold = 100
	big := string(bytes.Repeat([]byte("B"), 1000))
	id := s.put("", saver.SourceInput, map[string]string{"big": big, "small": "s"})
	s.commit(s.thread.PlanWrites(saver.Config{ThreadID: "t", CheckpointID: id}, []saver.Write{{Channel: "w", Value: []byte(big)}}, "task"))
	if len(s.log[0].Payload) > 500 || len(s.log[1].Payload) > 500 {
		t.Fatalf("events of %d and %d bytes: the large values stayed inline", len(s.log[0].Payload), len(s.log[1].Payload))
	}
	keys := s.thread.BlobKeys()
	if len(keys) != 1 || keys[0] != BlobKey([]byte(big)) {
		t.Fatalf("blob keys %v", keys)
	}
	store := map[string][]byte{keys[0]: []byte(big)}
	get := func(key string) ([]byte, error) {
		if b, ok := store[key]; ok {
			return b, nil
		}
		return nil, saver.ErrNotFound
	}
	cold := NewThread("t")
	must(t, cold.Fold(Events(s.log), FoldOptions{Resolve: func(recs []Record) error { return ResolveBlobs(recs, get) }}))
	tu := cold.Tuple(Ref{ID: id})
	if string(tu.Checkpoint.ChannelValues["big"]) != big || string(tu.PendingWrites[0].Value) != big {
		t.Fatal("a cold fold did not get the values back")
	}
	restored, err := RestoreResolved(mustSnapshot(t, s.thread), func(recs []Record) error { return ResolveBlobs(recs, get) })
	must(t, err)
	if string(restored.Tuple(Ref{ID: id}).Checkpoint.ChannelValues["big"]) != big {
		t.Fatal("a restored snapshot did not get the value back")
	}
	store[keys[0]] = []byte("tampered")
	err = NewThread("t").Fold(Events(s.log), FoldOptions{Resolve: func(recs []Record) error { return ResolveBlobs(recs, get) }})
	if !errors.Is(err, saver.ErrCorrupt) {
		t.Fatalf("a blob that does not match its key: %v, want ErrCorrupt", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustSnapshot(t *testing.T, th *Thread) []byte {
	t.Helper()
	b, err := th.Snapshot()
	must(t, err)
	return b
}

func TestANodesOutputIsStoredOnce(t *testing.T) {
	t.Parallel()
	s := newScript(t, "t")
	history := string(bytes.Repeat([]byte("h"), 300))
	parent := s.put("", saver.SourceInput, map[string]string{"msgs": history, "last": "x"})
	reply := string(bytes.Repeat([]byte("R"), 150))
	other := string(bytes.Repeat([]byte("O"), 100))
	last := string(bytes.Repeat([]byte("L"), 100))
	// Two tasks' writes in one commit with the checkpoint that applies
	// them: an append of both replies (in the order the runtime applies
	// them, not the order writes are keyed in) and a last-value channel.
	ops := []saver.Op{
		{Writes: &saver.WritesOp{Config: saver.Config{ThreadID: "t", CheckpointID: parent}, TaskID: "task-b", Writes: []saver.Write{{Channel: "msgs", Value: []byte(reply)}, {Channel: "last", Value: []byte(last)}}}},
		{Writes: &saver.WritesOp{Config: saver.Config{ThreadID: "t", CheckpointID: parent}, TaskID: "task-a", Writes: []saver.Write{{Channel: "msgs", Value: []byte(other)}}}},
		{Put: &saver.PutOp{Config: saver.Config{ThreadID: "t", CheckpointID: parent},
			Checkpoint: saver.Checkpoint{ID: saver.NewCheckpointID(parent), ChannelValues: map[string][]byte{
				"msgs": []byte(history + reply + other), "last": []byte(last)}},
			Metadata: saver.Metadata{Source: saver.SourceLoop}, NewVersions: map[string]uint64{"msgs": 2, "last": 2}}},
	}
	recs, outs, err := s.thread.PlanCommit(ops)
	s.commit(recs, err)
	payload := s.log[len(s.log)-1].Payload
	if n := bytes.Count(payload, []byte(reply)); n != 1 {
		t.Fatalf("the reply is stored %d times in the step's event, want once", n)
	}
	if n := bytes.Count(payload, []byte(other)); n != 1 {
		t.Fatalf("the other task's output is stored %d times, want once", n)
	}
	if n := bytes.Count(payload, []byte(last)); n != 1 {
		t.Fatalf("the last-value output is stored %d times, want once", n)
	}
	s.want[outs[0].CheckpointID] = map[string]string{"msgs": history + reply + other, "last": last}
	s.check()
}
