package restart_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/natsproc"
)

// A nats-server process is killed with SIGKILL between step 3 and step 4
// of a six-step sync workflow (stopped there by interrupt-before) and
// started again on the same store dir and port: a call made while it is
// down fails within its timeout, and Resume on the same saver finishes the
// workflow, running only n4..n6.
func TestNATSServerKilledBetweenStepsResumesWorkflow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := natsproc.Start(t, 1)[0]
	s := natsSaver(t, ctx, p.URL())
	w := newWorkflow(t, s, stopAtN4)
	cfg := graph.Config{ThreadID: "long"}
	w.runFirstHalf(t, ctx, cfg)

	t.Logf("SIGKILL nats-server pid %d", p.Pid())
	p.Kill()
	downCallFails(t, ctx, w)
	p.Restart(ctx)
	t.Logf("restarted nats-server as pid %d", p.Pid())

	out, err := w.chain.Resume(ctx, cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("resume after restart: %v", err)
	}
	checkFinished(t, ctx, w, cfg, out, true)
}

// A nats-server process is killed with SIGKILL while n4 of a six-step sync
// workflow runs: the run fails within its timeout (n4's writes cannot be
// stored), and after the server is started again on the same store dir,
// Resume with WaitIfBusy on the same saver waits out the dead run's lease
// and finishes the workflow with each node's note once: n1..n3 are not run
// again; n4 runs again only if its step's append, reported failed, did not
// land (the client buffers it while reconnecting, so it may land once the
// server is back: the caller cannot tell, and either outcome is right).
func TestNATSServerKilledDuringStepResumesWorkflow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := natsproc.Start(t, 1)[0]
	s := natsSaver(t, ctx, p.URL())
	const lease = 2 * time.Second
	w := newWorkflow(t, s, graph.WithRunLease(lease))
	entered, gate := make(chan struct{}), make(chan struct{})
	first := true
	w.hold = func(ctx context.Context) error {
		if !first { // only the first run of n4 waits
			return nil
		}
		first = false
		close(entered)
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	cfg := graph.Config{ThreadID: "long"}
	const runTimeout = 5 * time.Second
	rctx, rcancel := context.WithTimeout(ctx, runTimeout)
	defer rcancel()
	done := make(chan error, 1)
	started := time.Now()
	go func() {
		_, err := w.chain.Invoke(rctx, State{}, cfg)
		done <- err
	}()
	select {
	case <-entered:
	case err := <-done:
		t.Fatalf("run ended before n4: %v", err)
	case <-ctx.Done():
		t.Fatal("n4 never started")
	}
	t.Logf("n4 running; SIGKILL nats-server pid %d", p.Pid())
	p.Kill()
	close(gate)
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the run whose server was killed during n4 succeeded")
		}
		took := time.Since(started)
		t.Logf("run failed after %v (its context: %v): %v", took.Round(time.Millisecond), runTimeout, err)
	case <-time.After(runTimeout + 5*time.Second):
		// Its last writes are stored even if the run is cancelled, but
		// never past the caller's deadline.
		t.Fatalf("run still going %v after its context's deadline", 5*time.Second)
	}

	p.Restart(ctx)
	t.Logf("restarted nats-server as pid %d", p.Pid())
	snap, err := w.chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after restart: status %q next %q notes %q", snap.Status, snap.Next, snap.Values.Notes)
	rstart := time.Now()
	out, err := w.chain.Resume(ctx, cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("resume after restart: %v", err)
	}
	t.Logf("resume took %v", time.Since(rstart).Round(time.Millisecond))
	n4 := w.runs[4].Load()
	stepLanded := slices.Contains(snap.Values.Notes, "n4")
	t.Logf("the failed append of step 4 landed: %v; n4 ran %d times", stepLanded, n4)
	if want := map[bool]int32{true: 1, false: 2}[stepLanded]; n4 != want {
		t.Errorf("n4 ran %d times; its step stored before resume: %v", n4, stepLanded)
	}
	checkFinishedRuns(t, ctx, w, cfg, out, true, n4)
}
