// Package logtest is the conformance suite for eventstore.Log
// implementations: the memory, SQLite, PostgreSQL and JetStream logs all run
// it, so the log-level promises the event store relies on (conditional
// appends, ordered reads, truncation that keeps the newest event, snapshot
// and blob round trips) are written once. Cases for an optional interface
// (Truncater, SnapshotSaver, BlobStore) skip, with the reason, on a log
// without it.
//
//	func TestLogConformance(t *testing.T) {
//		logtest.Run(t, func(t *testing.T) eventstore.Log { return memory.NewLog() })
//	}
//
// newLog is called once per subtest and must return an empty log.
package logtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// NewLog returns a fresh, empty log for one subtest.
type NewLog func(t *testing.T) eventstore.Log

// Run runs the suite.
func Run(t *testing.T, newLog NewLog) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newLog(t))
		})
	}
	for _, c := range blobCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runBlobCase(t, newLog(t), c.run)
		})
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, l eventstore.Log)
}{
	{"EmptyThreadHasNoEvents", func(t *testing.T, l eventstore.Log) {
		if last := lastSeq(t, l, "nobody"); last != 0 {
			t.Fatalf("last sequence of an unknown thread: %d", last)
		}
		if evs := read(t, l, "nobody", 0); len(evs) != 0 {
			t.Fatalf("unknown thread has %d events", len(evs))
		}
	}},
	{"AppendsAreReadBackInOrder", func(t *testing.T, l eventstore.Log) {
		seqs := appendN(t, l, "t", 5) // checks that sequences increase
		if last := lastSeq(t, l, "t"); last != seqs[4] {
			t.Fatalf("last sequence %d, want %d", last, seqs[4])
		}
		evs := read(t, l, "t", 0)
		if len(evs) != 5 {
			t.Fatalf("read %d events, want 5", len(evs))
		}
		for i, ev := range evs {
			if ev.Seq != seqs[i] || !bytes.Equal(ev.Payload, payload(i)) {
				t.Fatalf("event %d: seq %d payload %q, want seq %d payload %q", i, ev.Seq, ev.Payload, seqs[i], payload(i))
			}
		}
		if tail := read(t, l, "t", seqs[2]); len(tail) != 2 || tail[0].Seq != seqs[3] {
			t.Fatalf("read after %d: %v", seqs[2], tail)
		}
	}},
	{"StaleAppendConflictsAndStoresNothing", func(t *testing.T, l eventstore.Log) {
		seqs := appendN(t, l, "t", 2)
		for _, stale := range []uint64{0, seqs[0], seqs[1] + 1000} {
			_, err := l.Append(t.Context(), "t", stale, []byte("stale"))
			var ce *saver.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, saver.ErrConflict) {
				t.Fatalf("append expecting %d at %d: %v, want a *saver.ConflictError", stale, seqs[1], err)
			}
			if ce.Actual != seqs[1] {
				t.Fatalf("conflict reports actual %d, want %d", ce.Actual, seqs[1])
			}
		}
		if evs := read(t, l, "t", 0); len(evs) != 2 {
			t.Fatalf("stale appends stored something: %d events", len(evs))
		}
	}},
	{"ThreadsAreIsolated", func(t *testing.T, l eventstore.Log) {
		ids := []string{"a", "a.b", "a*", "a>", "a b", "a/b", "A", "日本", "nul\x00"}
		for _, id := range ids {
			appendN(t, l, id, 1)
		}
		for _, id := range ids {
			if evs := read(t, l, id, 0); len(evs) != 1 {
				t.Fatalf("thread %q has %d events, want 1", id, len(evs))
			}
		}
		var got []string
		for id, err := range l.Threads(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(ids))
		if !slices.Equal(got, want) {
			t.Fatalf("threads %q, want %q", got, want)
		}
	}},
	{"ConcurrentAppendsAtOnePositionOneWins", func(t *testing.T, l eventstore.Log) {
		appendN(t, l, "t", 1)
		last := lastSeq(t, l, "t")
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = l.Append(t.Context(), "t", last, payload(100+i)) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, saver.ErrConflict):
				t.Fatalf("racing append: %v", err)
			}
		}
		if won != 1 || len(read(t, l, "t", 0)) != 2 {
			t.Fatalf("%d appends won at one position", won)
		}
	}},
	{"ReadStopsWhenTheCallerStops", func(t *testing.T, l eventstore.Log) {
		appendN(t, l, "t", 5)
		n := 0
		for _, err := range l.Read(t.Context(), "t", 0) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 2 {
				break
			}
		}
		if n != 2 {
			t.Fatalf("read %d", n)
		}
	}},
	{"TruncateKeepsTheNewestEvent", func(t *testing.T, l eventstore.Log) {
		tr, ok := l.(eventstore.Truncater)
		if !ok {
			t.Skipf("%T is not an eventstore.Truncater", l)
		}
		seqs := appendN(t, l, "t", 4)
		appendN(t, l, "other", 2)
		if err := tr.Truncate(t.Context(), "t", seqs[2]); err != nil {
			t.Fatal(err)
		}
		if evs := read(t, l, "t", 0); len(evs) != 2 || evs[0].Seq != seqs[2] {
			t.Fatalf("after truncating below %d: %v", seqs[2], evs)
		}
		// Truncating past the end keeps the newest: appends are conditional on it.
		if err := tr.Truncate(t.Context(), "t", seqs[3]+1000); err != nil {
			t.Fatal(err)
		}
		if evs := read(t, l, "t", 0); len(evs) != 1 || evs[0].Seq != seqs[3] {
			t.Fatalf("after truncating past the end: %v, want just %d", evs, seqs[3])
		}
		if last := lastSeq(t, l, "t"); last != seqs[3] {
			t.Fatalf("last sequence after truncate: %d, want %d", last, seqs[3])
		}
		if _, err := l.Append(t.Context(), "t", seqs[1], []byte("into the hole")); !errors.Is(err, saver.ErrConflict) {
			t.Fatalf("append at a truncated position: %v, want a conflict", err)
		}
		if _, err := l.Append(t.Context(), "t", seqs[3], []byte("next")); err != nil {
			t.Fatalf("append after truncate: %v", err)
		}
		if evs := read(t, l, "other", 0); len(evs) != 2 {
			t.Fatalf("truncate touched another thread: %d events", len(evs))
		}
	}},
	{"SnapshotsRoundTrip", func(t *testing.T, l eventstore.Log) {
		ss, ok := l.(eventstore.SnapshotSaver)
		sl, ok2 := l.(eventstore.SnapshotLoader)
		if !ok || !ok2 {
			t.Skipf("%T does not save and load snapshots", l)
		}
		if b, err := sl.LoadSnapshot(t.Context(), "t"); err != nil || b != nil {
			t.Fatalf("snapshot of an unknown thread: %q, %v", b, err)
		}
		seqs := appendN(t, l, "t", 3)
		th := event.NewThread("t")
		snap, err := th.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if err := ss.SaveSnapshot(t.Context(), "t", seqs[2], snap); err != nil {
			t.Fatal(err)
		}
		if b, err := sl.LoadSnapshot(t.Context(), "t"); err != nil || !bytes.Equal(b, snap) {
			t.Fatalf("snapshot read back as %q, %v", b, err)
		}
	}},
}

func payload(i int) []byte { return fmt.Appendf(nil, "event-%d", i) }

func appendN(t *testing.T, l eventstore.Log, thread string, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	last := lastSeq(t, l, thread)
	for i := range n {
		seq, err := l.Append(t.Context(), thread, last, payload(i))
		if err != nil {
			t.Fatalf("append %d to %q: %v", i, thread, err)
		}
		if seq <= last {
			t.Fatalf("append returned sequence %d after %d", seq, last)
		}
		seqs = append(seqs, seq)
		last = seq
	}
	return seqs
}

func lastSeq(t *testing.T, l eventstore.Log, thread string) uint64 {
	t.Helper()
	last, err := l.LastSeq(t.Context(), thread)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

func read(t *testing.T, l eventstore.Log, thread string, after uint64) []event.Event {
	t.Helper()
	var out []event.Event
	for ev, err := range l.Read(t.Context(), thread, after) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}
