package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

func TestHelpListsTheFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"start", "--help"}} {
		var stderr bytes.Buffer
		err := run(t.Context(), args, nil, io.Discard, &stderr)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%v: %v, want flag.ErrHelp", args, err)
		}
		for _, f := range []string{"-nats", "-creds", "-nkey", "-tls-ca", "-tls-cert", "-tls-key", "-embedded", "-password-file", "-tenant"} {
			if !strings.Contains(stderr.String(), f+" ") {
				t.Errorf("%v: help lacks %s:\n%s", args, f, stderr.String())
			}
		}
	}
}

func TestBadCommandLinesAreUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{}, // no server
		{"--nats", "nats://x", "--embedded", "d"}, // both
		{"--nats", "nats://x", "--tls-cert", "c"}, // cert without key
		{"--nats", "nats://x", "--no-such-flag"},
		{"--nats", "nats://x", "--log-level", "loud"},
		{"start", "--nats", "nats://x", "--graph", "nope"},
	} {
		err := run(t.Context(), args, nil, io.Discard, io.Discard)
		if !errors.As(err, new(usageError)) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestEmbeddedRunnerServesAndDrains starts the runner on an embedded
// server, runs threads of every example graph through it with the start
// client, and stops it as SIGTERM would (its context ends).
func TestEmbeddedRunnerServesAndDrains(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(rctx, []string{"--embedded", t.TempDir(), "--embedded-port", "0", "--listen", "127.0.0.1:0"}, nil, io.Discard, pw)
		_ = pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	url := ""
	for url == "" && sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, `"url":"nats://`); i >= 0 && strings.Contains(line, "embedded NATS server started") {
			url, _, _ = strings.Cut(line[i+len(`"url":"`):], `"`)
		}
	}
	ready := false
	for !ready && sc.Scan() {
		ready = strings.Contains(sc.Text(), `"node-runner ready"`)
	}
	if url == "" || !ready {
		t.Fatalf("runner never got ready (url %q)", url)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, g := range []string{"chat", "fanout", "durable"} {
		var out bytes.Buffer
		if err := run(ctx, []string{"start", "--nats", url, "--graph", g, "--threads", "5"}, nil, &out, io.Discard); err != nil {
			t.Fatalf("start %s: %v", g, err)
		}
		if !strings.Contains(out.String(), "threads=5 failed=0") {
			t.Fatalf("start %s printed %q", g, out.String())
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("runner stopped with %v", err)
	}
}

// TestHTTPEndpoints starts the runner on an embedded server with --listen
// on a loopback port and checks /healthz, /readyz and /metrics.
func TestHTTPEndpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(rctx, []string{"--embedded", t.TempDir(), "--embedded-port", "0", "--listen", "127.0.0.1:0"}, nil, io.Discard, pw)
		_ = pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	addr := ""
	for addr == "" && sc.Scan() {
		if line := sc.Text(); strings.Contains(line, `"node-runner ready"`) {
			var rec struct {
				HTTP string `json:"http"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("ready line %q: %v", line, err)
			}
			addr = rec.HTTP
		}
	}
	if addr == "" {
		t.Fatal("runner never logged that it is ready, with its HTTP address")
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	get := func(path string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz: %d %q, want 200", code, body)
	}
	// Ready is logged once the runner pulls; /readyz also wants the
	// connection up: allow it a moment.
	code, body := 0, ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, body = get("/readyz"); code == http.StatusOK {
			break
		}
	}
	if code != http.StatusOK {
		t.Errorf("GET /readyz: %d %q, want 200", code, body)
	}
	code, body = get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, m := range []string{"jetgraph_runner_tasks_started_total", "jetgraph_runner_tasks_finished_total",
		"jetgraph_runner_steps_committed_total", "jetgraph_runner_tasks_in_flight", "jetgraph_runner_conflicts_total"} {
		if !strings.Contains(body, "\n"+m+" ") {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("runner stopped with %v", err)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		_ = resp.Body.Close()
		t.Error("/healthz still served after the runner stopped")
	}
}
