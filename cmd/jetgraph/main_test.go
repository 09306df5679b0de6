package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

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
			var out bytes.Buffer
			if err := run(context.Background(), []string{"demo", "--saver", saverURL(t)}, &out); err != nil {
				t.Fatalf("demo: %v\n%s", err, out.String())
			}
			checkStory(t, out.String())
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

func TestUnknownCommandIsAnError(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("err = %v", err)
	}
}

func TestDemoOnEmbeddedJetStreamThenAudit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"demo", "--data", dir}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"embedded JetStream saver (data in " + dir, "emails actually sent: 1", "audit --data " + dir} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("demo output lacks %q\n%s", want, out.String())
		}
	}
	var threads bytes.Buffer
	if err := run(t.Context(), []string{"audit", "--data", dir}, &threads); err != nil {
		t.Fatalf("audit: %v", err)
	}
	if !strings.Contains(threads.String(), "5 threads") {
		t.Fatalf("audit lists:\n%s", threads.String())
	}
	first := strings.Split(strings.SplitN(threads.String(), "\n", 2)[0], `"`)[1]
	fork := strings.TrimSuffix(first, "demo") + "demo-fork"
	var events bytes.Buffer
	if err := run(t.Context(), []string{"audit", "--data", dir, "--thread", fork}, &events); err != nil {
		t.Fatalf("audit --thread: %v", err)
	}
	for _, want := range []string{"seed of 1 checkpoint(s) from thread", "source=input step=2", "writes on"} {
		if !strings.Contains(events.String(), want) {
			t.Fatalf("audit of the fork lacks %q:\n%s", want, events.String())
		}
	}
	err := run(t.Context(), []string{"audit", "--data", dir, "--thread", "no-such-thread"}, &events)
	if !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("audit of an unknown thread: %v", err)
	}
	if err := run(t.Context(), []string{"audit"}, &events); err == nil {
		t.Fatal("audit without --data must say what it needs")
	}
}

// The projector runs as a service of its own over a demo's data: it folds
// the whole stream, rebuilds the bucket from it, and the threads still
// audit the same.
func TestProjectorCatchesUpAndRebuildsOverADemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"demo", "--data", dir}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	var before bytes.Buffer
	if err := run(t.Context(), []string{"audit", "--data", dir}, &before); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--once"}, {"--rebuild"}} {
		var p bytes.Buffer
		if err := run(t.Context(), append([]string{"projector", "--data", dir}, args...), &p); err != nil {
			t.Fatalf("projector %v: %v\n%s", args, err, p.String())
		}
		var at int
		line := p.String()[strings.LastIndex(strings.TrimSpace(p.String()), "\n")+1:]
		if _, err := fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%d", &at); err != nil || at == 0 {
			t.Fatalf("projector %v says %q: want the sequence it reached", args, p.String())
		}
	}
	var after bytes.Buffer
	if err := run(t.Context(), []string{"audit", "--data", dir}, &after); err != nil {
		t.Fatal(err)
	}
	if before.String() != after.String() {
		t.Fatalf("threads changed:\n%s\nvs\n%s", before.String(), after.String())
	}
	if err := run(t.Context(), []string{"projector"}, &out); err == nil {
		t.Fatal("projector without --nats or --data must say what it needs")
	}
}
