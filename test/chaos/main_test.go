package chaos

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/natsproc"
)

var (
	duration = flag.Duration("chaos.duration", 60*time.Second, "how long threads run while runners and servers are killed")
	seed     = flag.Int64("chaos.seed", 0, "seed of the chaos schedule and the threads' inputs (0: from the clock; printed)")
	workers  = flag.Int("chaos.workers", 6, "threads running at once")
	dumpDir  = flag.String("chaos.dump", "", "when a thread does not resume, write the runners' logs and goroutine stacks (SIGQUIT) to this directory")
)

func TestMain(m *testing.M) {
	code := m.Run()
	natsproc.RemoveBinaries()
	os.Exit(code)
}
