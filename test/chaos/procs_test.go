package chaos

// nats-server and node-runner processes come from internal/natsproc, as in
// test/faults, test/restart and test/runners.

import (
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/natsproc"
)

// startRunner starts a node-runner and waits until it logs that it is
// ready. A runner that exits before it is ready (it could not open its
// streams while the cluster elected leaders) is started again, up to five
// times, as a supervisor would. The test stops it at the end (SIGTERM,
// then SIGKILL) if it still runs.
func startRunner(t *testing.T, args []string) *natsproc.Runner {
	t.Helper()
	bin, err := natsproc.Binary(natsproc.RunnerPkg)
	if err != nil {
		t.Fatal(err)
	}
	for attempt := range 5 {
		p, err := natsproc.StartRunner(t.Context(), bin, args...)
		if err == nil {
			t.Cleanup(func() {
				if err := p.Stop(30 * time.Second); err != nil {
					t.Error(err)
				}
			})
			return p
		}
		if attempt == 4 {
			t.Fatalf("node-runner did not start in 5 attempts; the last: %v", err)
		}
		t.Logf("node-runner start %d: %v", attempt+1, err)
	}
	return nil
}
