package restart_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/nats-io/nats.go"
)

// freePort returns a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// natsSaver connects the JetStream saver to url, reconnecting quickly and
// forever, and closes it when the test ends.
func natsSaver(t *testing.T, ctx context.Context, url string) *natsjs.Saver {
	t.Helper()
	s, err := natsjs.Connect(ctx, url, natsjs.Config{}, nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(cctx)
	})
	return s
}

// downCallFails makes a call (a new run on another thread) while the server
// is down and checks it fails with an error before its context's deadline
// plus a margin, rather than hanging or succeeding.
func downCallFails(t *testing.T, ctx context.Context, w *workflow) {
	t.Helper()
	const timeout, margin = 2 * time.Second, 2 * time.Second
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := w.chain.Invoke(dctx, State{}, graph.Config{ThreadID: "while-down"})
		done <- err
	}()
	select {
	case err := <-done:
		took := time.Since(start)
		if err == nil {
			t.Fatal("a run while the server is down succeeded")
		}
		t.Logf("call while down failed after %v: %v", took.Round(time.Millisecond), err)
		if took > timeout+margin {
			t.Fatalf("call while down took %v, its timeout %v", took, timeout)
		}
	case <-time.After(timeout + margin):
		t.Fatalf("call while down still running %v after start (timeout %v)", timeout+margin, timeout)
	}
}

// An in-process JetStream server that listens on a fixed port is shut down
// after step 3 of a six-step sync workflow and started again on the same
// data dir and port: a call made while it is down fails within its
// timeout, and Resume on the same saver (its client reconnected by itself)
// finishes the workflow, running only n4..n6.
func TestEmbeddedJetStreamRestartResumesWorkflow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	opts := natsembed.Options{Dir: dir, Listen: true, Port: freePort(t)}
	srv, err := natsembed.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	running := srv
	t.Cleanup(func() {
		if running != nil {
			_ = running.Shutdown(context.Background())
		}
	})
	url := srv.ClientURL()
	s := natsSaver(t, ctx, url)
	w := newWorkflow(t, s, stopAtN4)
	cfg := graph.Config{ThreadID: "long"}
	w.runFirstHalf(t, ctx, cfg)

	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	running = nil
	downCallFails(t, ctx, w)

	srv, err = natsembed.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	running = srv
	if got := srv.ClientURL(); got != url {
		t.Fatalf("restarted on %s, was %s", got, url)
	}
	out, err := w.chain.Resume(ctx, cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("resume after restart: %v", err)
	}
	checkFinished(t, ctx, w, cfg, out, true)
}
