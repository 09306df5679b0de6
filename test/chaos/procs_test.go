package chaos

// nats-server processes come from internal/natsproc, as in test/faults and
// test/restart; the node-runner process helpers follow test/runners.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	cmd := exec.Command(nodeRunner(t), args...)
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
