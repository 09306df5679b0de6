package chaos

import (
	"flag"
	"os"
	"testing"
	"time"
)

var (
	duration = flag.Duration("chaos.duration", 60*time.Second, "how long threads run while runners and servers are killed")
	seed     = flag.Int64("chaos.seed", 0, "seed of the chaos schedule and the threads' inputs (0: from the clock; printed)")
	workers  = flag.Int("chaos.workers", 6, "threads running at once")
	dumpDir  = flag.String("chaos.dump", "", "when a thread does not resume, write the runners' logs and goroutine stacks (SIGQUIT) to this directory")
)

// binDir holds the binaries the tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
