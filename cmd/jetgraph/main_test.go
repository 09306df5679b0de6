package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// result of one command line.
type ran struct {
	stdout, stderr string
	code           int
}

// jg runs one command line through Main with the environment env (nil:
// empty) and stdin.
func jg(t *testing.T, env map[string]string, stdin string, args ...string) ran {
	t.Helper()
	return jgCtx(t.Context(), t, env, stdin, args...)
}

func jgCtx(ctx context.Context, t *testing.T, env map[string]string, stdin string, args ...string) ran {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return ran{out.String(), errOut.String(), code}
}

// ok runs a command line that must succeed and returns its stdout.
func ok(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	r := jg(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("jetgraph %s: exit %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), r.code, r.stderr, r.stdout)
	}
	return r.stdout
}

// savers are the durable savers the commands are tested on: the embedded
// JetStream server on a data directory, a SQLite file and a PostgreSQL
// schema (internal/pgtest).
func savers(t *testing.T) map[string]func(t *testing.T) []string {
	t.Helper()
	return map[string]func(t *testing.T) []string{
		"jetstream": func(t *testing.T) []string { return []string{"--data", t.TempDir()} },
		"sqlite": func(t *testing.T) []string {
			return []string{"--saver", "sqlite://" + filepath.Join(t.TempDir(), "jg.db")}
		},
		"postgres": func(t *testing.T) []string {
			return []string{"--saver", pgtest.URL(t) + "&schema=" + pgtest.Schema(t)}
		},
	}
}

// notifyBuffer is an output that signals each write, for tests that wait
// for a line from a command that runs until cancelled.
type notifyBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{wrote: make(chan struct{}, 1)} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output holds want, or the test's context ends.
func (b *notifyBuffer) waitFor(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	for {
		if s := b.String(); strings.Contains(s, want) {
			return s
		}
		select {
		case <-b.wrote:
		case <-ctx.Done():
			t.Fatalf("output never held %q:\n%s", want, b.String())
		}
	}
}

// TestDemoTellsTheWholeStory runs the guide's story, every section of it,
// on each saver: the same story must come out.
func TestDemoTellsTheWholeStory(t *testing.T) {
	t.Parallel()
	for name, saverURL := range map[string]func(t *testing.T) string{
		"memory":    func(*testing.T) string { return "memory" },
		"jetstream": func(*testing.T) string { return "jetstream" },
		"sqlite":    func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "demo.db") },
		"postgres": func(t *testing.T) string {
			return pgtest.URL(t) + "&schema=" + pgtest.Schema(t)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkStory(t, ok(t, nil, "", "demo", "--saver", saverURL(t)))
		})
	}
}

func checkStory(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		"[user-123] you: What's my name?      model: Your name is Alice.",
		"[user-456] you: What's my name?      model: I don't know your name yet.",
		"[demo] you: What's my color?     model: Your color is blue.",
		"model answers again: Your color is blue.",
		"4 -> 5 messages",
		"resume: model: Noted: your color is red.",
		"[demo-fork] you: What's my color?     model: Your color is green.",
		`its last answer is still "Your color is red."`,
		"emails actually sent: 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q\n%s", want, out)
		}
	}
}

func TestDemoOnEmbeddedJetStreamThenAudit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := ok(t, nil, "", "demo", "--data", dir)
	for _, want := range []string{"embedded JetStream saver (data in " + dir, "emails actually sent: 1", "history --data " + dir} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q\n%s", want, out)
		}
	}
	threads := ok(t, nil, "", "audit", "--data", dir)
	if !strings.Contains(threads, "5 threads") {
		t.Fatalf("audit lists:\n%s", threads)
	}
	first := strings.Split(strings.SplitN(threads, "\n", 2)[0], `"`)[1]
	fork := strings.TrimSuffix(first, "demo") + "demo-fork"
	events := ok(t, nil, "", "audit", "--data", dir, "--thread", fork)
	for _, want := range []string{"seed of 1 checkpoint(s) from thread", "source=input step=2", "writes on"} {
		if !strings.Contains(events, want) {
			t.Fatalf("audit of the fork lacks %q:\n%s", want, events)
		}
	}
	if r := jg(t, nil, "", "audit", "--data", dir, "--thread", "no-such-thread"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("audit of an unknown thread: %+v", r)
	}
	if r := jg(t, nil, "", "audit"); r.code != 2 {
		t.Fatalf("audit without --data must say what it needs: %+v", r)
	}
}

// The projector runs as a service of its own over a demo's data: it folds
// the whole stream, rebuilds the bucket from it, and the threads still
// audit the same.
func TestProjectorCatchesUpAndRebuildsOverADemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok(t, nil, "", "demo", "--data", dir)
	before := ok(t, nil, "", "audit", "--data", dir)
	for _, args := range [][]string{{"--once"}, {"--rebuild"}} {
		p := ok(t, nil, "", append([]string{"projector", "--data", dir}, args...)...)
		var at int
		line := p[strings.LastIndex(strings.TrimSpace(p), "\n")+1:]
		if _, err := fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%d", &at); err != nil || at == 0 {
			t.Fatalf("projector %v says %q: want the sequence it reached", args, p)
		}
	}
	if after := ok(t, nil, "", "audit", "--data", dir); before != after {
		t.Fatalf("threads changed:\n%s\nvs\n%s", before, after)
	}
	if r := jg(t, nil, "", "projector"); r.code != 2 {
		t.Fatalf("projector without --nats or --data must say what it needs: %+v", r)
	}
}
