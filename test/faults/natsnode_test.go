package faults_test

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

// binDir holds the nats-server binary; TestMain removes it.
var binDir string

// natsServerBinary builds nats-server, the version go.mod names, once per
// test binary.
var natsServerBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "jetgraph-faults-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "nats-server")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/nats-io/nats-server/v2").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build nats-server: %w\n%s", err, out)
	}
	return bin, nil
})

// healthClient polls /healthz without keeping connections (and their
// goroutines) open.
var healthClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// natsNode is one nats-server child process. Its ports and data directory
// stay the same across restarts.
type natsNode struct {
	t       *testing.T
	name    string
	bin     string
	conf    string
	log     string
	client  int
	monitor int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running process has been reaped
}

// startNATS starts n nats-server processes; with n > 1 they form one
// cluster with JetStream replicated across them. Every process is killed
// when the test ends.
func startNATS(t *testing.T, n int) []*natsNode {
	t.Helper()
	bin, err := natsServerBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ports := freePorts(t, 3*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+1])))
	}
	nodes := make([]*natsNode, n)
	for i := range n {
		nd := &natsNode{t: t, name: fmt.Sprintf("n%d", i), client: ports[3*i], monitor: ports[3*i+2]}
		nd.conf = filepath.Join(dir, nd.name+".conf")
		nd.log = filepath.Join(dir, nd.name+".log")
		conf := fmt.Sprintf("server_name: %q\nlisten: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\njetstream { store_dir: %q }\n",
			nd.name, nd.client, nd.monitor, filepath.Join(dir, nd.name))
		if n > 1 {
			conf += fmt.Sprintf("cluster { name: \"faults\"\n listen: \"127.0.0.1:%d\"\n routes: [%s] }\n", ports[3*i+1], strings.Join(routes, ", "))
		}
		if err := os.WriteFile(nd.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		nd.bin = bin
		nodes[i] = nd
		t.Cleanup(nd.cleanup)
		nd.start()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for _, nd := range nodes {
		nd.waitHealthy(ctx)
	}
	return nodes
}

// clientURLs returns the nodes' client URLs, comma separated.
func clientURLs(nodes []*natsNode) string {
	urls := make([]string, len(nodes))
	for i, nd := range nodes {
		urls[i] = nd.url()
	}
	return strings.Join(urls, ",")
}

func (nd *natsNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", nd.client) }

func (nd *natsNode) start() {
	nd.t.Helper()
	logf, err := os.OpenFile(nd.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
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

// signal sends sig to the running process.
func (nd *natsNode) signal(sig syscall.Signal) {
	nd.t.Helper()
	nd.mu.Lock()
	pid := nd.cmd.Process.Pid
	nd.mu.Unlock()
	if err := syscall.Kill(pid, sig); err != nil {
		nd.t.Fatalf("%s: signal %v to pid %d: %v", nd.name, sig, pid, err)
	}
}

// kill kills the process with SIGKILL and waits until it is gone.
func (nd *natsNode) kill() {
	nd.t.Helper()
	nd.signal(syscall.SIGKILL)
	nd.mu.Lock()
	done := nd.done
	nd.mu.Unlock()
	<-done // SIGKILL cannot be ignored: the process ends
}

// restart starts the node again on the same data and ports and waits until
// it reports itself healthy (JetStream current).
func (nd *natsNode) restart(ctx context.Context) {
	nd.t.Helper()
	nd.start()
	nd.waitHealthy(ctx)
}

// waitHealthy polls the node's /healthz until it answers 200: the server
// has no other way to say its JetStream assets have caught up.
func (nd *natsNode) waitHealthy(ctx context.Context) {
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
			nd.t.Fatalf("%s not healthy: %s (log %s:\n%s)", nd.name, last, nd.log, tail(nd.log))
		case <-tick.C:
		}
	}
}

// cleanup resumes and kills the process if it still runs.
func (nd *natsNode) cleanup() {
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

// tail returns the end of a log file.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePorts returns n distinct free loopback ports.
func freePorts(t *testing.T, n int) []int {
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
