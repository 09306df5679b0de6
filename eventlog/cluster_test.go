package eventlog_test

import (
	"errors"
	"testing"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
)

// A replicated stream reports a wrong expected sequence with another error
// code (10164) than a single-replica one (10071); both are conflicts. Reads
// go through the stream leader.
func TestReplicatedStreamConflictsAndReads(t *testing.T) {
	t.Parallel()
	_, js := natstest.Cluster(t)
	ctx := t.Context()
	l, err := eventlog.New(ctx, js, eventlog.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := l.Append(ctx, "t", 0, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "t", 0, []byte("b")); !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("stale append on a replicated stream: %v, want ErrConflict", err)
	}
	if _, err := l.Append(ctx, "t", seq, []byte("c")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev, err := range l.Read(ctx, "t", 0) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(ev.Payload))
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("read %q, want [a c]", got)
	}
	// A long read streams through an ordered consumer.
	seqs := appendN(t, l, "long", 300)
	if evs := read(t, l, "long", 0, ^uint64(0)); len(evs) != 300 || evs[299].Seq != seqs[299] {
		t.Fatalf("long read: %d events", len(evs))
	}
	if evs := read(t, l, "long", seqs[10], seqs[209]); len(evs) != 200 || evs[0].Seq != seqs[10] || evs[199].Seq != seqs[209] {
		t.Fatalf("range read: %d events", len(evs))
	}
	n := 0
	for range l.Read(ctx, "long", 0) {
		if n++; n == 5 {
			break
		}
	}
}
