package restart_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the nats-server binary; TestMain removes it.
var binDir string

// natsServerBinary builds nats-server, the version go.mod names, once per
// test binary (as test/faults does).
var natsServerBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "jetgraph-restart-bin-")
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

// healthClient polls /healthz without keeping connections open.
var healthClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// natsProc is a nats-server child process whose ports and store dir stay
// the same across restarts. It is killed when the test ends.
type natsProc struct {
	t       *testing.T
	bin     string
	conf    string
	log     string
	client  int
	monitor int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running process has been reaped
}

func startNATSProc(t *testing.T, ctx context.Context) *natsProc {
	t.Helper()
	bin, err := natsServerBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &natsProc{t: t, bin: bin, client: freePort(t), monitor: freePort(t),
		conf: filepath.Join(dir, "nats.conf"), log: filepath.Join(dir, "nats.log")}
	conf := fmt.Sprintf("server_name: \"restart\"\nlisten: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\njetstream { store_dir: %q }\n",
		p.client, p.monitor, filepath.Join(dir, "store"))
	if err := os.WriteFile(p.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.cleanup)
	p.start(ctx)
	return p
}

func (p *natsProc) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", p.client) }

// start starts the process and waits until /healthz answers 200.
func (p *natsProc) start(ctx context.Context) {
	p.t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(p.bin, "-c", p.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	p.waitHealthy(ctx)
}

// pid is the running process's id.
func (p *natsProc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// kill sends SIGKILL to the process by pid and waits until it is reaped.
func (p *natsProc) kill() {
	p.t.Helper()
	p.mu.Lock()
	pid, done := p.cmd.Process.Pid, p.done
	p.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL pid %d: %v", pid, err)
	}
	<-done // SIGKILL cannot be ignored
}

// waitHealthy polls /healthz until it answers 200 or ctx ends.
func (p *natsProc) waitHealthy(ctx context.Context) {
	p.t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", p.monitor)
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
			b, _ := os.ReadFile(p.log)
			p.t.Fatalf("nats-server not healthy: %s\n%s", last, b)
		case <-tick.C:
		}
	}
}

// cleanup kills the process by pid if it still runs.
func (p *natsProc) cleanup() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
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
