// Package natstest starts embedded JetStream servers for tests and stops
// them when the test ends.
package natstest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/natsembed"
)

// Server starts a single in-process JetStream server with its data in a
// test directory and returns a JetStream handle on a new connection. Both
// are closed when the test ends.
func Server(t testing.TB) (*natsembed.Server, jetstream.JetStream) {
	t.Helper()
	return ServerWith(t, natsembed.Options{})
}

// ServerWith is Server with options (a stock 1 MB MaxPayload, say). An
// empty Dir is a test directory.
func ServerWith(t testing.TB, o natsembed.Options) (*natsembed.Server, jetstream.JetStream) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	srv, err := natsembed.Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, srv.Shutdown) })
	return srv, Connect(t, srv)
}

// Connect returns a JetStream handle on a new connection to srv, closed
// when the test ends.
func Connect(t testing.TB, srv *natsembed.Server) jetstream.JetStream {
	t.Helper()
	js, nc, err := srv.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js
}

// Procs is a JetStream cluster of nats-server child processes.
type Procs struct{ nodes []*natsproc.Node }

// Cluster starts a 3-node loopback cluster of nats-server processes and
// returns it with a JetStream handle connected to every node. Everything
// is stopped when the test ends.
//
// The servers are processes, not in-process servers, as in production: and
// the race detector of a test binary then checks jetgraph's code, not the
// server's (nats-server v2.15.3 reads a clustered stream's per-subject
// expectations without its lock, a race -race reports in whichever test
// runs alongside).
func Cluster(t testing.TB) (*Procs, jetstream.JetStream) {
	t.Helper()
	p := &Procs{nodes: natsproc.Start(t, 3)}
	return p, p.Connect(t)
}

// URL returns every node's client URL, comma separated.
func (p *Procs) URL() string { return natsproc.URLs(p.nodes) }

// Connect returns a JetStream handle on a new connection to the cluster,
// closed when the test ends.
func (p *Procs) Connect(t testing.TB) jetstream.JetStream {
	t.Helper()
	return connectURL(t, p.URL())
}

// ConnectNode returns a JetStream handle on a new connection to node i
// only, closed when the test ends: reads and writes through different
// servers of one cluster.
func (p *Procs) ConnectNode(t testing.TB, i int) jetstream.JetStream {
	t.Helper()
	return connectURL(t, p.nodes[i].URL())
}

func connectURL(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.Name("jetgraph-test"), nats.MaxReconnects(-1), nats.Timeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func shutdown(t testing.TB, stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Error(err)
	}
}

// Main runs the tests of a package and then fails if goroutines started by
// the tests are still running: servers, consumers or projectors that were
// not stopped. Use it as TestMain's body: os.Exit(natstest.Main(m)).
func Main(m *testing.M) int {
	before := len(goroutines())
	code := m.Run()
	natsproc.RemoveBinaries()
	if code != 0 {
		return code
	}
	// Stopped goroutines leave asynchronously; nothing signals the last
	// one's exit, so poll with a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for len(goroutines()) > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := goroutines(); len(g) > before {
		fmt.Fprintf(os.Stderr, "natstest: %d goroutines leaked:\n%s\n", len(g)-before, strings.Join(g, "\n\n"))
		return 1
	}
	return 0
}

// goroutines returns the stacks of the running goroutines, less the test
// runner's own and the signal handler the fuzzer starts.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "testing.(*M).Run") || strings.Contains(g, "natstest.goroutines") ||
			strings.Contains(g, "os/signal.") ||
			// the runtime's own, started on the first cleanup or
			// finalizer anything registers (crypto/tls's certificate
			// cache, say)
			strings.Contains(g, "runtime.runCleanups") || strings.Contains(g, "runtime.runFinalizers") ||
			// nats-server's process sampler, rescheduled every second
			// from its package's init for the life of the binary
			strings.Contains(g, "server/pse.periodic") {
			continue
		}
		keep = append(keep, g)
	}
	return keep
}
