package faults_test

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/internal/pgtest"
)

var (
	rounds  = flag.Int("faults.rounds", 1, "how many times each fault is repeated")
	threads = flag.Int("faults.threads", 50, "threads written concurrently (the single-server tests use at most 20)")
	acksPer = flag.Int("faults.acks", 150, "acknowledged writes to wait for in each phase")
)

func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := pgtest.Main(m)
	natsproc.RemoveBinaries()
	if code == 0 {
		code = checkLeaks(before)
	}
	os.Exit(code)
}

// checkLeaks fails the run when goroutines the tests started (writers,
// connections, process reapers) are still running. They leave
// asynchronously and nothing signals the last exit, so it polls with a
// deadline.
func checkLeaks(before int) int {
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var keep []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if !strings.Contains(g, "checkLeaks") {
				keep = append(keep, g)
			}
		}
		fmt.Fprintf(os.Stderr, "faults: %d goroutines leaked:\n%s\n", n-before, strings.Join(keep, "\n\n"))
		return 1
	}
	return 0
}
