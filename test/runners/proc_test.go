package runners_test

import (
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/natsproc"
)

// nodeRunner builds cmd/node-runner once per test binary.
func nodeRunner(t *testing.T) string {
	t.Helper()
	bin, err := natsproc.Binary(natsproc.RunnerPkg)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// startRunner starts a node-runner on the NATS server at url and waits
// until it logs that it is ready. The test stops it at the end (SIGTERM,
// then SIGKILL) if it still runs.
func startRunner(t *testing.T, url string, extra ...string) *natsproc.Runner {
	t.Helper()
	args := append([]string{"--nats", url, "--listen", "127.0.0.1:0", "--log-level", "info"}, extra...)
	p, err := natsproc.StartRunner(t.Context(), nodeRunner(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(30 * time.Second); err != nil {
			t.Error(err)
		}
	})
	return p
}

// metric returns the value of a metric without labels that the runner
// exports on /metrics.
func metric(t *testing.T, p *natsproc.Runner, name string) float64 {
	t.Helper()
	v, err := p.Metric(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
