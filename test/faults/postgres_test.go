package faults_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver/postgres"
)

// pgServer starts a PostgreSQL server of the test's own (synchronous
// commits, so a killed server keeps every acknowledged commit), stopped
// when the test ends.
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("needs a server of its own to pause and kill; TEST_DATABASE_URL names a shared one")
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

func pgSaver(t *testing.T, url string) *postgres.Saver {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := postgres.Connect(ctx, url, postgres.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// pgProcesses returns the postmaster's pid and its children's: the server
// is paused by stopping all of them, since each connection has a process
// of its own.
func pgProcesses(t *testing.T, s *postgres.Saver) []int {
	t.Helper()
	var dir string
	if err := s.Pool().QueryRow(t.Context(), "SHOW data_directory").Scan(&dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	pids := []int{pm}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pm) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, pid)
		}
	}
	return pids
}

func signalAll(t *testing.T, pids []int, sig syscall.Signal) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			t.Errorf("signal %v to %d: %v", sig, pid, err)
		}
	}
}

// A PostgreSQL server paused (SIGSTOP on every one of its processes) and
// then killed under load: writes fail with errors within their deadline
// instead of hanging, and once the server is back every acknowledged write
// is there, once, on its thread's line.
func TestPostgresPausedAndKilledLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	srv := pgServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(*rounds)*3*time.Minute)
	defer cancel()
	s := pgSaver(t, srv.URL())

	n := min(*threads, 20)
	w := newWorkload(s, n, 2*time.Second, 15*time.Second)
	w.start(ctx)
	defer w.finish(t)
	if err := w.waitAcks(ctx, *acksPer); err != nil {
		t.Fatal(err)
	}
	pauseErrs, killErrs := 0, 0
	for r := range *rounds {
		pids := pgProcesses(t, s)
		t.Logf("round %d: pausing %d postgres processes", r, len(pids))
		signalAll(t, pids, syscall.SIGSTOP)
		resumed := false
		t.Cleanup(func() {
			if !resumed {
				signalAll(t, pids, syscall.SIGCONT)
			}
		})
		before := w.failedCount()
		err := w.waitErrors(ctx, n)
		signalAll(t, pids, syscall.SIGCONT)
		resumed = true
		if err != nil {
			t.Fatal(err)
		}
		pauseErrs += w.failedCount() - before
		if err := w.waitAcks(ctx, *acksPer); err != nil {
			t.Fatalf("after the server resumed: %v (%s)", err, w.errCounts())
		}

		t.Logf("round %d: killing postgres", r)
		if err := srv.Kill(); err != nil {
			t.Fatal(err)
		}
		before = w.failedCount()
		err = w.waitErrors(ctx, n)
		if rerr := srv.Restart(); rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		killErrs += w.failedCount() - before
		if err := w.waitAcks(ctx, *acksPer); err != nil {
			t.Fatalf("after the server restarted: %v (%s)", err, w.errCounts())
		}
	}
	w.finish(t)

	fresh := pgSaver(t, srv.URL())
	v := w.verify(ctx, fresh, repeatedEvents(fresh.Log()))
	w.mu.Lock()
	landed, others := w.landed, w.others
	w.mu.Unlock()
	for _, e := range others {
		t.Logf("error of no known kind: %s", e)
	}
	line := fmt.Sprintf("postgres: acked=%d stored_after_error=%d lost=%d duplicates=%d duplicate_events=%d pause_errors=%d kill_errors=%d %s",
		v.acked, landed, v.lost, v.duplicates, v.dupEvents, pauseErrs, killErrs, w.errCounts())
	fmt.Println(line)
	t.Log(line, "stored:", v.stored, "gaps:", v.gaps)
	v.check(t)
	w.checkNoHang(t)
}
