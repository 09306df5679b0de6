package faults_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// A NATS server paused (SIGSTOP) for longer than the client's request
// timeout: writes fail with timeouts instead of hanging, writers retry the
// same append, and once the server resumes (SIGCONT) and works through the
// requests it had queued, every write is stored once.
func TestPausedServerTimesOutAndStoresRetriesOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(*rounds)*2*time.Minute)
	defer cancel()
	nodes := natsproc.Start(t, 1)
	cfg := natsjs.Config{Log: eventlog.Config{Timeout: 500 * time.Millisecond}}
	s, _ := natsSaver(t, nodes[0].URL(), cfg)

	n := min(*threads, 20)
	w := newWorkload(s, n, 30*time.Second, 30*time.Second)
	w.start(ctx)
	defer w.finish(t)
	if err := w.waitAcks(ctx, *acksPer); err != nil {
		t.Fatal(err)
	}
	w.resetStall()
	for r := range *rounds {
		t.Logf("round %d: pausing %s", r, nodes[0].Name)
		nodes[0].Signal(syscall.SIGSTOP)
		// Stay paused until every writer could have timed out once: the
		// writers' errors say when.
		err := w.waitErrors(ctx, n)
		nodes[0].Signal(syscall.SIGCONT)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.waitAcks(ctx, *acksPer); err != nil {
			t.Fatalf("after the server resumed: %v (%s)", err, w.errCounts())
		}
	}
	w.finish(t)

	fresh, _ := natsSaver(t, nodes[0].URL(), cfg)
	v := w.verify(ctx, fresh, repeatedEvents(fresh.Log()))
	w.mu.Lock()
	stall, landed, others := w.maxStall, w.landed, w.others
	w.mu.Unlock()
	for _, e := range others {
		t.Logf("error of no known kind: %s", e)
	}
	line := fmt.Sprintf("pause: acked=%d stored_after_error=%d lost=%d duplicates=%d duplicate_events=%d pauses=%d %s max_write_stall_ms=%d",
		v.acked, landed, v.lost, v.duplicates, v.dupEvents, *rounds, w.errCounts(), stall.Milliseconds())
	fmt.Println(line)
	t.Log(line, "stored:", v.stored, "gaps:", v.gaps)
	v.check(t)
	w.checkNoHang(t)
}
