package graph_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the package if a run left its background writer running
// after it returned.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := checkNoWriters(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkNoWriters polls, with a deadline, for the async writers to exit: a
// writer signals the run before its goroutine returns, and nothing signals
// the return itself.
func checkNoWriters() error {
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if !bytes.Contains(buf[:n], []byte("graph.(*committer).drain")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leaked async writers:\n%s", buf[:n])
		}
		runtime.Gosched()
	}
}
