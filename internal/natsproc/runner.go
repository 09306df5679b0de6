package natsproc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RunnerPkg is the package path of cmd/node-runner, for Binary.
const RunnerPkg = "github.com/jetgraph/jetgraph/cmd/node-runner"

// maxLogLines bounds the log lines a Runner keeps (the newest).
const maxLogLines = 20000

// Runner is a node-runner child process; its JSON log is read as it
// writes it.
type Runner struct {
	// HTTP is the address it serves /metrics on, from its ready line.
	HTTP string

	cmd  *exec.Cmd
	done chan struct{} // closed once the process exited and was reaped

	mu       sync.Mutex
	logs     []string // the newest maxLogLines lines
	problems []string // every warning and error
}

// StartRunner starts bin (a node-runner) with args and waits until it logs
// that it is ready. If it exits first, or is not ready within 60 s or
// before ctx ends, it is killed and reaped, and the error holds the end of
// its log.
func StartRunner(ctx context.Context, bin string, args ...string) (*Runner, error) {
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &Runner{cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go r.read(stderr, ready)
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	var why string
	select {
	case r.HTTP = <-ready:
		return r, nil
	case <-r.done:
		return nil, fmt.Errorf("node-runner exited before it was ready: %v\n%s", cmd.ProcessState, r.tail(20))
	case <-timer.C:
		why = "not ready within 60s"
	case <-ctx.Done():
		why = ctx.Err().Error()
	}
	_ = r.Kill()
	return nil, fmt.Errorf("node-runner %s\n%s", why, r.tail(20))
}

// read keeps the lines of the process's log, sends the address of its
// ready line on ready, and reaps the process at the end of its output.
func (r *Runner) read(stderr io.Reader, ready chan<- string) {
	defer close(r.done)
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		r.mu.Lock()
		if r.logs = append(r.logs, line); len(r.logs) > maxLogLines {
			r.logs = r.logs[len(r.logs)-maxLogLines:]
		}
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			r.problems = append(r.problems, line)
		}
		r.mu.Unlock()
		if strings.Contains(line, `"node-runner ready"`) {
			var rec struct {
				HTTP string `json:"http"`
			}
			_ = json.Unmarshal([]byte(line), &rec)
			select {
			case ready <- rec.HTTP:
			default:
			}
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	_ = r.cmd.Wait()
}

// Pid is the process's id.
func (r *Runner) Pid() int { return r.cmd.Process.Pid }

// Log returns the lines of its log it kept.
func (r *Runner) Log() string { return r.tail(maxLogLines) }

func (r *Runner) tail(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs[max(0, len(r.logs)-n):], "\n")
}

// Problems returns the warnings and errors it logged that contain s.
func (r *Runner) Problems(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.problems {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// Kill sends SIGKILL to the process and waits until it is reaped.
func (r *Runner) Kill() error {
	if err := syscall.Kill(r.Pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill node-runner %d: %w", r.Pid(), err)
	}
	<-r.done
	return nil
}

// Stop sends SIGTERM (the runner drains its tasks), and SIGKILL if the
// process still runs after grace; it returns once the process is reaped,
// with an error if it took SIGKILL.
func (r *Runner) Stop(grace time.Duration) error {
	select {
	case <-r.done:
		return nil
	default:
	}
	_ = syscall.Kill(r.Pid(), syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-r.done:
		return nil
	case <-timer.C:
		_ = r.Kill()
		return fmt.Errorf("node-runner %d did not stop on SIGTERM within %v", r.Pid(), grace)
	}
}

// Dump sends the process SIGQUIT, which makes a Go program print every
// goroutine's stack and exit, waits for it, and writes its log to path.
func (r *Runner) Dump(path string) error {
	select {
	case <-r.done:
	default:
		if err := syscall.Kill(r.Pid(), syscall.SIGQUIT); err != nil {
			return err
		}
		<-r.done
	}
	return os.WriteFile(path, []byte(r.Log()), 0o600)
}

// Metric returns the value of an unlabelled metric on the runner's
// /metrics.
func (r *Runner) Metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.HTTP+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not on %s", name, r.HTTP)
}
