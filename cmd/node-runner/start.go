package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// runStart is the client: it dispatches runs of an example graph to the
// runners and waits for each to end.
func runStart(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node-runner start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connFlags
	conn.register(fs, env)
	name := fs.String("graph", examples.FanOutName, "graph to run: chat, fanout or durable")
	threads := fs.Int("threads", 10, "threads to start")
	parallel := fs.Int("parallel", 16, "threads running at once")
	prefix := fs.String("prefix", "client-", "thread id prefix")
	rounds := fs.Int("rounds", 2, "fanout: rounds of fan-out per thread")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for all threads")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logReplicas := fs.Int("log-replicas", 1, "replicas of the thread event stream and snapshot bucket (as the runners)")
	replicas := fs.Int("replicas", 1, "replicas of the task stream and the bindings bucket (as the runners)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: node-runner start [flags]\n\nDispatches runs of an example graph to the node runners and waits for them.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := conn.check(fs); err != nil {
		return err
	}
	switch *name {
	case examples.FanOutName, examples.ChatName, examples.DurableName:
	default:
		return usagef("--graph %q: want %s, %s or %s", *name, examples.ChatName, examples.FanOutName, examples.DurableName)
	}
	if *threads < 0 || *parallel < 1 {
		return usagef("--threads must be at least 0 and --parallel at least 1")
	}
	log, err := newLogger(stderr, *level, "text")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	nc, closeConn, err := conn.connect(ctx, "node-runner client", log)
	if err != nil {
		return err
	}
	defer closeConn()
	js, s, err := openSaver(ctx, nc, natsjs.ByWriter, *logReplicas, conn.tenant, log)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, *replicas)
	if err != nil {
		return err
	}
	opts := []graph.Option{graph.WithCheckpointer(s), graph.WithDispatcher(d)}
	var invoke func(ctx context.Context, thread string, i int) error
	switch *name {
	case examples.FanOutName:
		g, err := examples.FanOut(opts...)
		if err != nil {
			return err
		}
		invoke = func(ctx context.Context, thread string, i int) error {
			_, err := g.Invoke(ctx, examples.FanState{Seed: i, Rounds: *rounds}, graph.Config{ThreadID: thread})
			return err
		}
	case examples.ChatName:
		g, err := examples.Chat(opts...)
		if err != nil {
			return err
		}
		invoke = func(ctx context.Context, thread string, _ int) error {
			_, err := g.Invoke(ctx, examples.ChatState{Messages: []message.Message{message.Human("Hi! I'm Bob")}}, graph.Config{ThreadID: thread})
			return err
		}
	case examples.DurableName:
		g, err := examples.Durable(opts...)
		if err != nil {
			return err
		}
		invoke = func(ctx context.Context, thread string, _ int) error {
			_, err := g.Invoke(ctx, examples.DurableState{To: "Alice"}, graph.Config{ThreadID: thread})
			return err
		}
	default:
		return usagef("--graph %q: want %s, %s or %s", *name, examples.ChatName, examples.FanOutName, examples.DurableName)
	}
	start := time.Now()
	var failed atomic.Int64
	var errs []error
	var mu sync.Mutex
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i := range *threads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			thread := fmt.Sprintf("%s%d-%d", *prefix, os.Getpid(), i)
			if err := invoke(ctx, thread, i); err != nil {
				failed.Add(1)
				mu.Lock()
				errs = append(errs, fmt.Errorf("thread %s: %w", thread, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	fmt.Fprintf(stdout, "start: graph=%s threads=%d failed=%d seconds=%.1f\n", *name, *threads, failed.Load(), time.Since(start).Seconds())
	return errors.Join(errs...)
}
