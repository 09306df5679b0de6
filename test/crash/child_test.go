package crash

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/test/crash/workflow"
)

// childSources pins the child's sources into the test binary, so that a
// change to them invalidates go test's cached result (the test imports
// workflow, graph and open, the child's other dependencies in this
// module).
//
//go:embed child/*.go
var childSources embed.FS

// buildChild builds ./child into dir, with -race when the test has it.
func buildChild(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "child")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./child")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./child: %v\n%s", err, out)
	}
	return bin
}

// Line mirrors one line the child prints.
type Line struct {
	Event     string          `json:"event"`
	Step      int             `json:"step"`
	Call      string          `json:"call"`
	Nonces    []string        `json:"nonces"`
	Interrupt string          `json:"interrupt"`
	State     *workflow.State `json:"state"`
}

// childRun is what one child did.
type childRun struct {
	killed      bool
	lines       []Line
	interrupted bool            // it reported the interrupt
	done        *workflow.State // it reported the end of the workflow
	lifetime    time.Duration
}

// childArgs are the flags of one child.
type childArgs struct {
	bin, url, durability, thread, effects, answer, fault string
	gen                                                  int
	lease                                                time.Duration
}

func (a childArgs) list() []string {
	args := []string{
		"-saver", a.url, "-durability", a.durability, "-thread", a.thread,
		"-effects", a.effects, "-gen", strconv.Itoa(a.gen), "-lease", a.lease.String(),
	}
	if a.answer != "" {
		args = append(args, "-answer", a.answer)
	}
	if a.fault != "" {
		args = append(args, "-fault", a.fault)
	}
	return args
}

// errChild is a child that failed on its own (not killed).
var errChild = errors.New("child failed")

// runChild starts a child and, when killAfter is set, SIGKILLs it that
// long after it printed "ready" unless it exited first.
func runChild(a childArgs, killAfter func() time.Duration) (childRun, error) {
	var res childRun
	cmd := exec.Command(a.bin, a.list()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	lines := make(chan Line, 64)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			var ln Line
			if err := json.Unmarshal(sc.Bytes(), &ln); err != nil {
				ln = Line{Event: "garbled: " + sc.Text()}
			}
			lines <- ln
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	var ready time.Time
	var timer <-chan time.Time
	for lines != nil {
		select {
		case ln, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			res.lines = append(res.lines, ln)
			if ln.Event == "ready" {
				ready = time.Now()
				if killAfter != nil {
					timer = time.After(killAfter())
				}
			}
		case <-timer:
			timer = nil
			if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
				res.killed = true
			}
		}
	}
	werr := <-exited
	if !ready.IsZero() {
		res.lifetime = time.Since(ready)
	}
	for _, ln := range res.lines {
		switch ln.Event {
		case "interrupted":
			res.interrupted = true
		case "done":
			res.done = ln.State
		case "ready", "step":
		default:
			return res, fmt.Errorf("%w: unexpected line %q", errChild, ln.Event)
		}
	}
	if werr != nil {
		var ee *exec.ExitError
		if res.killed && errors.As(werr, &ee) && !ee.Exited() {
			return res, nil // our SIGKILL
		}
		res.killed = false
		return res, fmt.Errorf("%w: %v\n%s", errChild, werr, stderr.String())
	}
	res.killed = false // it exited before the signal
	return res, nil
}

// readFile reads the side-effect file; a missing one is empty.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
