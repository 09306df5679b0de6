package runners_test

import (
	"flag"
	"os"
	"testing"

	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

var (
	threads   = flag.Int("runners.threads", 200, "threads the end-to-end test runs")
	kills     = flag.Int("runners.kills", 6, "times the end-to-end test SIGKILLs a runner")
	onCluster = flag.Bool("runners.cluster", false, "run the end-to-end test on a 3-node loopback JetStream cluster with 3 replicas")
)

func TestMain(m *testing.M) {
	code := natstest.Main(m)
	natsproc.RemoveBinaries()
	os.Exit(code)
}
