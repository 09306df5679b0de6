package runners_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/natsproc"
)

// nodeRunner builds cmd/node-runner once per test binary.
func nodeRunner(t *testing.T) string {
	t.Helper()
	bin, err := natsproc.Binary("github.com/jetgraph/jetgraph/cmd/node-runner")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// proc is a node-runner process.
type proc struct {
	cmd  *exec.Cmd
	http string        // address of /metrics
	done chan struct{} // closed once the process exited and was reaped

	mu   sync.Mutex
	logs []string
}

// startRunner starts a node-runner on the NATS server at url and waits
// until it logs that it is ready. The test stops it at the end (SIGTERM,
// then SIGKILL) if it still runs.
func startRunner(t *testing.T, url string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"--nats", url, "--listen", "127.0.0.1:0", "--log-level", "info"}, extra...)
	cmd := exec.Command(nodeRunner(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			if strings.Contains(line, `"node-runner ready"`) {
				var rec struct {
					HTTP string `json:"http"`
				}
				_ = json.Unmarshal([]byte(line), &rec)
				ready <- rec.HTTP
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
	}()
	t.Cleanup(func() { p.stop(t) })
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case p.http = <-ready:
	case <-p.done:
		t.Fatalf("node-runner exited before it was ready: %v\n%s", cmd.ProcessState, p.log())
	case <-timer.C:
		t.Fatalf("node-runner not ready within 60s\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// kill sends SIGKILL to the process and waits until it is reaped.
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

// metric returns the value of a metric without labels that the runner
// exports on /metrics.
func (p *proc) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + p.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("metric %s not exported by runner %s", name, p.http)
	return 0
}
