package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
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
		for _, f := range []string{"-nats", "-creds", "-nkey", "-tls-ca", "-tls-cert", "-tls-key", "-embedded"} {
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
