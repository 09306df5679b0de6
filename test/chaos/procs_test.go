package chaos

// The process helpers below follow test/faults (nats-server nodes) and
// test/runners (node-runner processes); those live in _test files of other
// packages, which this package cannot import.

import (
	"bufio"
	"context"
	"fmt"
	"io"
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

// binaries builds nats-server (the version go.mod names) and
// cmd/node-runner once per test binary, into binDir.
var binaries = sync.OnceValues(func() (map[string]string, error) {
	dir, err := os.MkdirTemp("", "jetgraph-chaos-bin-")
	if err != nil {
		return nil, err
	}
	binDir = dir
	out := map[string]string{}
	for name, pkg := range map[string]string{
		"nats-server": "github.com/nats-io/nats-server/v2",
		"node-runner": "github.com/jetgraph/jetgraph/cmd/node-runner",
	} {
		bin := filepath.Join(dir, name)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
		out[name] = bin
	}
	return out, nil
})

func binary(t *testing.T, name string) string {
	t.Helper()
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	return bins[name]
}

// healthClient polls /healthz without keeping connections open.
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

// startCluster starts three nats-server processes forming one JetStream
// cluster; every process is killed when the test ends.
func startCluster(t *testing.T) []*natsNode {
	t.Helper()
	const n = 3
	bin := binary(t, "nats-server")
	dir := t.TempDir()
	ports := freePorts(t, 3*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+1])))
	}
	nodes := make([]*natsNode, n)
	for i := range n {
		nd := &natsNode{t: t, name: fmt.Sprintf("n%d", i), bin: bin, client: ports[3*i], monitor: ports[3*i+2]}
		nd.conf = filepath.Join(dir, nd.name+".conf")
		nd.log = filepath.Join(dir, nd.name+".log")
		conf := fmt.Sprintf("server_name: %q\nlisten: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\njetstream { store_dir: %q }\n"+
			"cluster { name: \"chaos\"\n listen: \"127.0.0.1:%d\"\n routes: [%s] }\n",
			nd.name, nd.client, nd.monitor, filepath.Join(dir, nd.name), ports[3*i+1], strings.Join(routes, ", "))
		if err := os.WriteFile(nd.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
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
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", nd.client)
	}
	return strings.Join(urls, ",")
}

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

// kill SIGKILLs the process and waits until it is reaped.
func (nd *natsNode) kill() {
	nd.t.Helper()
	nd.mu.Lock()
	pid, done := nd.cmd.Process.Pid, nd.done
	nd.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		nd.t.Fatalf("%s: kill pid %d: %v", nd.name, pid, err)
	}
	<-done
}

// restart starts the node again on the same data and ports and waits
// until it reports itself healthy.
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

// cleanup kills the process if it still runs.
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

// proc is a node-runner process.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process exited and was reaped

	mu       sync.Mutex
	logs     []string // the last lines
	problems []string // every warning and error
}

// startRunner starts a node-runner and waits until it logs that it is
// ready. A runner that exits before it is ready (it could not open its
// streams while the cluster elected leaders) is started again, up to five
// times, as a supervisor would. The test stops it at the end (SIGTERM,
// then SIGKILL) if it still runs.
func startRunner(t *testing.T, args []string) *proc {
	t.Helper()
	var last *proc
	for attempt := range 5 {
		p, err := tryRunner(t, args)
		if err == nil {
			return p
		}
		last = p
		t.Logf("node-runner start %d: %v", attempt+1, err)
	}
	t.Fatalf("node-runner did not start in 5 attempts; the last one logged:\n%s", last.log())
	return nil
}

func tryRunner(t *testing.T, args []string) (*proc, error) {
	cmd := exec.Command(binary(t, "node-runner"), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{}, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
				p.problems = append(p.problems, line)
			}
			if len(p.logs) > 20000 {
				p.logs = p.logs[len(p.logs)-20000:]
			}
			p.mu.Unlock()
			if strings.Contains(line, `"node-runner ready"`) {
				select {
				case ready <- struct{}{}:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
	}()
	t.Cleanup(func() { p.stop(t) })
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case <-ready:
		return p, nil
	case <-p.done:
		return p, fmt.Errorf("exited before it was ready: %v", cmd.ProcessState)
	case <-timer.C:
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return p, fmt.Errorf("not ready within 60s")
	}
}

// countLogged counts the warnings and errors the process logged whose
// message is msg.
func (p *proc) countLogged(msg string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.problems {
		if strings.Contains(l, `"msg":"`+msg+`"`) {
			n++
		}
	}
	return n
}

// problemsOf returns the warnings and errors the process logged that
// mention s.
func (p *proc) problemsOf(s string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.problems {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// dump sends the process SIGQUIT, which makes a Go program print every
// goroutine's stack and exit, waits for it, and writes its log to path.
func (p *proc) dump(path string) error {
	select {
	case <-p.done:
	default:
		if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGQUIT); err != nil {
			return err
		}
		<-p.done
	}
	return os.WriteFile(path, []byte(p.log()), 0o600)
}

// kill SIGKILLs the process and waits until it is reaped.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill node-runner %d: %v", p.cmd.Process.Pid, err)
	}
	<-p.done
}

// stop stops the process by its pid: SIGTERM (it drains), then SIGKILL
// after 30 s.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Errorf("node-runner %d did not stop on SIGTERM within 30s", p.cmd.Process.Pid)
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}
