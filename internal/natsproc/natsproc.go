// Package natsproc runs nats-server as child processes for tests that kill,
// pause and restart servers: a single server or a JetStream cluster on
// loopback, built from the nats-server version go.mod names. It also builds
// the other commands such tests start (cmd/node-runner). Test helpers only.
package natsproc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerPkg is the package path of nats-server, for Binary.
const ServerPkg = "github.com/nats-io/nats-server/v2"

var (
	binMu   sync.Mutex
	binDir  string
	builtAt = map[string]string{} // package path -> binary
)

// Binary builds the main package pkg once per test binary and returns the
// path of the result. Call RemoveBinaries from TestMain.
func Binary(pkg string) (string, error) {
	binMu.Lock()
	defer binMu.Unlock()
	if bin, ok := builtAt[pkg]; ok {
		return bin, nil
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "jetgraph-test-bin-")
		if err != nil {
			return "", err
		}
		binDir = dir
	}
	bin := filepath.Join(binDir, filepath.Base(strings.TrimSuffix(pkg, "/v2")))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	builtAt[pkg] = bin
	return bin, nil
}

// RemoveBinaries deletes what Binary built.
func RemoveBinaries() {
	binMu.Lock()
	defer binMu.Unlock()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	binDir, builtAt = "", map[string]string{}
}

// healthClient polls /healthz without keeping connections (and their
// goroutines) open.
var healthClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// Node is one nats-server child process. Its ports and data directory stay
// the same across restarts.
type Node struct {
	// Name is the server's name (n0, n1, ...), as cluster info reports it.
	Name string
	// Log is the path of the file the process writes its output to.
	Log string

	t       testing.TB
	bin     string
	conf    string
	client  int
	monitor int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running process has been reaped
}

// Start starts n nats-server processes with JetStream and waits until each
// is healthy; with n > 1 they form one cluster. Every process is killed
// when the test ends.
func Start(t testing.TB, n int) []*Node {
	t.Helper()
	bin, err := Binary(ServerPkg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ports := FreePorts(t, 3*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+1])))
	}
	nodes := make([]*Node, n)
	for i := range n {
		nd := &Node{t: t, Name: fmt.Sprintf("n%d", i), bin: bin, client: ports[3*i], monitor: ports[3*i+2]}
		nd.conf = filepath.Join(dir, nd.Name+".conf")
		nd.Log = filepath.Join(dir, nd.Name+".log")
		conf := fmt.Sprintf("server_name: %q\nlisten: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\njetstream { store_dir: %q }\n",
			nd.Name, nd.client, nd.monitor, filepath.Join(dir, nd.Name))
		if n > 1 {
			conf += fmt.Sprintf("cluster { name: \"jetgraph-test\"\n listen: \"127.0.0.1:%d\"\n routes: [%s] }\n", ports[3*i+1], strings.Join(routes, ", "))
		}
		if err := os.WriteFile(nd.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		nodes[i] = nd
		t.Cleanup(nd.cleanup)
		nd.start()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, nd := range nodes {
		nd.WaitHealthy(ctx)
	}
	return nodes
}

// URLs returns the nodes' client URLs, comma separated.
func URLs(nodes []*Node) string {
	urls := make([]string, len(nodes))
	for i, nd := range nodes {
		urls[i] = nd.URL()
	}
	return strings.Join(urls, ",")
}

// URL is the node's client URL.
func (nd *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", nd.client) }

func (nd *Node) start() {
	nd.t.Helper()
	logf, err := os.OpenFile(nd.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		nd.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(nd.bin, "-c", nd.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		nd.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	nd.mu.Lock()
	nd.cmd, nd.done = cmd, done
	nd.mu.Unlock()
}

// Pid is the running process's id.
func (nd *Node) Pid() int {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.cmd.Process.Pid
}

// Signal sends sig to the running process.
func (nd *Node) Signal(sig syscall.Signal) {
	nd.t.Helper()
	pid := nd.Pid()
	if err := syscall.Kill(pid, sig); err != nil {
		nd.t.Fatalf("%s: signal %v to pid %d: %v", nd.Name, sig, pid, err)
	}
}

// Kill kills the process with SIGKILL and waits until it is reaped.
func (nd *Node) Kill() {
	nd.t.Helper()
	nd.Signal(syscall.SIGKILL)
	nd.mu.Lock()
	done := nd.done
	nd.mu.Unlock()
	<-done // SIGKILL cannot be ignored: the process ends
}

// Restart starts the node again on the same data and ports and waits until
// it reports itself healthy (JetStream current).
func (nd *Node) Restart(ctx context.Context) {
	nd.t.Helper()
	nd.start()
	nd.WaitHealthy(ctx)
}

// WaitHealthy polls the node's /healthz until it answers 200 (the server
// has no other way to say its JetStream assets have caught up), and fails
// the test when ctx ends first.
func (nd *Node) WaitHealthy(ctx context.Context) {
	nd.t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", nd.monitor)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		req, _ := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
		resp, err := healthClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				cancel()
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		cancel()
		select {
		case <-ctx.Done():
			nd.t.Fatalf("%s not healthy: %s (log %s:\n%s)", nd.Name, last, nd.Log, Tail(nd.Log))
		case <-tick.C:
		}
	}
}

// cleanup resumes and kills the process if it still runs.
func (nd *Node) cleanup() {
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.done
	nd.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Tail returns the last 4,000 bytes of a log file.
func Tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// FreePorts returns n distinct free loopback ports.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}
