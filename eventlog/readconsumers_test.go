package eventlog_test

import (
	"testing"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// A read of a replicated stream that spans many sequences streams through
// an ordered consumer; the read deletes it when done. The server caps a
// stream's consumers at 1,000 by default, so consumers left behind (the
// chaos test's reads of a few hundred threads, with the runners' and
// client's reads, hit the cap) make every later read fail with "maximum
// consumers limit reached".
func TestOrderedReadsLeaveNoConsumers(t *testing.T) {
	t.Parallel()
	_, js := natstest.Cluster(t)
	ctx := t.Context()
	l, err := eventlog.New(ctx, js, eventlog.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	first := appendN(t, l, "sparse", 1)
	appendN(t, l, "filler", 100) // the thread's events lie more than 64 sequences apart
	last := appendN(t, l, "sparse", 1)
	for range 5 {
		evs := read(t, l, "sparse", 0, ^uint64(0))
		if len(evs) != 2 || evs[0].Seq != first[0] || evs[1].Seq != last[0] {
			t.Fatalf("read %d events, want 2 at %d and %d", len(evs), first[0], last[0])
		}
	}
	info, err := l.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 {
		t.Fatalf("the stream has %d consumers after 5 reads, want 0", info.State.Consumers)
	}
}
