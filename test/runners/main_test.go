package runners_test

import (
	"flag"
	"os"
	"testing"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

var (
	threads   = flag.Int("runners.threads", 200, "threads the end-to-end test runs")
	kills     = flag.Int("runners.kills", 6, "times the end-to-end test SIGKILLs a runner")
	onCluster = flag.Bool("runners.cluster", false, "run the end-to-end test on a 3-node loopback JetStream cluster with 3 replicas")
)

var binDir string

// tempDir is where the test binaries are built; TestMain removes it.
func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "node-runner-test-")
	binDir = d
	return d, err
}

func TestMain(m *testing.M) {
	code := natstest.Main(m)
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
