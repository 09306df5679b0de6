package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/internal/groupcommit"
)

// A statement that fails in a batch (here a NULL payload against the NOT
// NULL column) is undone alone: the others of the batch are stored, in the
// same transaction, and the failed one is refused.
func TestBatchStatementFailureFailsOnlyItsCaller(t *testing.T) {
	t.Parallel()
	s, err := FromConnString(t.Context(), filepath.Join(t.TempDir(), "checkpoints.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	l := s.log
	if _, err := l.Append(t.Context(), "old", 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	type call = groupcommit.Call[appendReq, bool]
	batch := []*call{
		{Ctx: t.Context(), In: appendReq{thread: "a", expect: 0, payload: []byte("a1")}},
		{Ctx: t.Context(), In: appendReq{thread: "null", expect: 0, payload: nil}},
		{Ctx: t.Context(), In: appendReq{thread: "old", expect: 0, payload: []byte("stale")}},
		{Ctx: t.Context(), In: appendReq{thread: "old", expect: 1, payload: []byte("x2")}},
		{Ctx: t.Context(), In: appendReq{thread: "a", expect: 1, payload: []byte("a2")}},
	}
	l.writeBatch(t.Context(), batch)
	want := []bool{true, false, false, true, true}
	for i, c := range batch {
		if c.Err != nil || c.Out != want[i] {
			t.Errorf("call %d (%s after %d): stored %v, err %v; want stored %v", i, c.In.thread, c.In.expect, c.Out, c.Err, want[i])
		}
	}
	for thread, last := range map[string]uint64{"a": 2, "null": 0, "old": 2} {
		if got, err := l.LastSeq(t.Context(), thread); err != nil || got != last {
			t.Errorf("%s: last seq %d (%v), want %d", thread, got, err, last)
		}
	}
}

// The synchronous pragma defaults to NORMAL; one in the path wins.
func TestSynchronousPragma(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for path, want := range map[string]int{
		filepath.Join(dir, "default.db"):                                      1, // NORMAL
		filepath.Join(dir, "full.db") + "?_pragma=synchronous(FULL)":          2,
		"file:" + filepath.Join(dir, "uri.db") + "?_pragma=synchronous(FULL)": 2,
	} {
		s, err := FromConnString(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		err = s.DB().QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&got)
		s.Close(context.Background())
		if err != nil || got != want {
			t.Errorf("%s: synchronous %d (%v), want %d", path, got, err, want)
		}
	}
}
