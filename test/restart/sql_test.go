package restart_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// The SQLite "server" is the process: a first saver on a file runs the
// workflow to step 3 (interrupt before n4) and is closed; a second saver
// opens the same file fresh, and a graph compiled on it (a new process, as
// far as jetgraph can tell) finishes the workflow with Resume, running
// only n4..n6.
func TestSQLiteFileReopenedResumesWorkflow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "threads.db")
	cfg := graph.Config{ThreadID: "long"}

	first, err := sqlite.FromConnString(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w1 := newWorkflow(t, first, stopAtN4)
	w1.runFirstHalf(t, ctx, cfg)
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second, err := sqlite.FromConnString(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close(context.Background()) })
	w2 := newWorkflow(t, second, stopAtN4)
	out, err := w2.chain.Resume(ctx, cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("resume on the reopened file: %v", err)
	}
	checkFinished(t, ctx, w2, cfg, out, false)
	for i := 1; i <= 3; i++ {
		if got := w1.runs[i].Load(); got != 1 {
			t.Errorf("first saver: %s ran %d times", nodeName(i), got)
		}
	}
}

// pgServer starts a PostgreSQL server of the test's own (synchronous
// commits, so a killed server keeps every acknowledged commit), stopped
// when the test ends. As in test/faults.
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("needs a server of its own to kill; TEST_DATABASE_URL names a shared one")
	}
	pgtest.URL(t) // skips, or fails in CI, without a local PostgreSQL
	srv, err := pgtest.StartCrashSafe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// A PostgreSQL server of the test's own is killed (pg_ctl stop -m
// immediate: the postmaster and its backends die as in a crash) between
// step 3 and step 4 of a six-step sync workflow and started again: a call
// made while it is down fails within its timeout, and Resume on the same
// saver (its pool dials new connections) finishes the workflow, running
// only n4..n6.
func TestPostgresRestartResumesWorkflow(t *testing.T) {
	t.Parallel()
	srv := pgServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := postgres.Connect(ctx, srv.URL(), postgres.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	w := newWorkflow(t, s, stopAtN4)
	cfg := graph.Config{ThreadID: "long"}
	w.runFirstHalf(t, ctx, cfg)

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	downCallFails(t, ctx, w)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	out, err := w.chain.Resume(ctx, cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("resume after restart: %v", err)
	}
	checkFinished(t, ctx, w, cfg, out, true)
}

// The same with a failing node: n4 fails in the first saver's run (the
// thread keeps steps 1..3, n4 is left to run), the first saver is closed,
// and Resume on a second saver on the same file runs n4..n6.
func TestSQLiteFileReopenedAfterFailedNodeResumesWorkflow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "threads.db")
	cfg := graph.Config{ThreadID: "long"}

	first, err := sqlite.FromConnString(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w1 := newWorkflow(t, first)
	boom := errors.New("n4 fails in the first process")
	w1.hold = func(context.Context) error { return boom }
	if _, err := w1.chain.Invoke(ctx, State{}, cfg); !errors.Is(err, boom) {
		t.Fatalf("first run: %v, want %v", err, boom)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second, err := sqlite.FromConnString(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close(context.Background()) })
	w2 := newWorkflow(t, second)
	snap, err := w2.chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Status != graph.StatusPending || !slices.Equal(snap.Next, []string{"n4"}) || !slices.Equal(snap.Values.Notes, wantNotes()[:3]) {
		t.Fatalf("reopened: status %q next %q notes %q", snap.Status, snap.Next, snap.Values.Notes)
	}
	out, err := w2.chain.Resume(ctx, cfg, graph.WaitIfBusy())
	if err != nil {
		t.Fatalf("resume on the reopened file: %v", err)
	}
	checkFinished(t, ctx, w2, cfg, out, false)
}
