package postgres

import (
	"errors"
	"testing"

	"github.com/jetgraph/jetgraph/internal/groupcommit"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
)

// A statement the server fails (a NULL payload against the NOT NULL
// column; an event row that exists without its head row) rolls the batch's
// transaction back; the appends are then written one by one, so each
// failure fails only its caller and the others are stored.
func TestBatchStatementFailureFailsOnlyItsCaller(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t)
	s, err := New(pool, Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	l := s.log
	if _, err := l.Append(t.Context(), "old", 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	// An event at seq 1 with no head row: appending the thread's first
	// event violates the events table's primary key.
	if _, err := pool.Exec(t.Context(), `INSERT INTO `+table(schema, "jetgraph_events")+` (thread, seq, payload) VALUES ('orphan', 1, 'o')`); err != nil {
		t.Fatal(err)
	}
	type call = groupcommit.Call[appendReq, bool]
	batch := []*call{
		{Ctx: t.Context(), In: appendReq{thread: "a", expect: 0, payload: []byte("a1")}},
		{Ctx: t.Context(), In: appendReq{thread: "null", expect: 0, payload: nil}},
		{Ctx: t.Context(), In: appendReq{thread: "orphan", expect: 0, payload: []byte("o2")}},
		{Ctx: t.Context(), In: appendReq{thread: "old", expect: 0, payload: []byte("stale")}},
		{Ctx: t.Context(), In: appendReq{thread: "old", expect: 1, payload: []byte("x2")}},
		{Ctx: t.Context(), In: appendReq{thread: "b", expect: 0, payload: []byte("b1")}},
	}
	want := map[*call]bool{}
	for i, w := range []bool{true, false, false, false, true, true} {
		want[batch[i]] = w
	}
	l.writeBatch(t.Context(), batch) // sorts batch by thread
	for _, c := range batch {
		if c.Out != want[c] {
			t.Errorf("%s after %d: stored %v (err %v), want %v", c.In.thread, c.In.expect, c.Out, c.Err, want[c])
		}
	}
	for _, c := range batch {
		failed := c.In.thread == "null"
		if (c.Err != nil) != failed || (failed && errors.Is(c.Err, saver.ErrConflict)) {
			t.Errorf("%s after %d: err %v", c.In.thread, c.In.expect, c.Err)
		}
	}
	for thread, last := range map[string]uint64{"a": 1, "b": 1, "null": 0, "old": 2} {
		if got, err := l.LastSeq(t.Context(), thread); err != nil || got != last {
			t.Errorf("%s: last seq %d (%v), want %d", thread, got, err, last)
		}
	}
}
