package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// run parses args and runs the node runner, or the client ("start").
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if env == nil {
		env = func(string) string { return "" }
	}
	if len(args) > 0 && args[0] == "start" {
		return runStart(ctx, args[1:], env, stdout, stderr)
	}
	fs := flag.NewFlagSet("node-runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connFlags
	conn.register(fs, env)
	listen := fs.String("listen", ":8080", "HTTP address of /healthz, /readyz and /metrics (empty: none)")
	concurrency := fs.Int("concurrency", 8, "tasks run at once")
	ackWait := fs.Duration("ack-wait", 30*time.Second, "how long a task may go without a sign of life before it is delivered again")
	maxDeliver := fs.Int("max-deliver", 5, "runs of a failing task before its failure is recorded")
	taskTimeout := fs.Duration("task-timeout", 10*time.Minute, "how long one run of a node may take (0: no bound)")
	retryDelay := fs.Duration("retry-delay", 200*time.Millisecond, "delay before a failed task runs again, times its runs so far")
	replicas := fs.Int("replicas", 1, "replicas of the task stream and the bindings bucket")
	logReplicas := fs.Int("log-replicas", 1, "replicas of the thread event stream and snapshot bucket (every process that opens them must agree)")
	drain := fs.Duration("drain-timeout", 30*time.Second, "on SIGTERM, how long tasks in flight may take to finish")
	snapshots := fs.String("snapshots", "writer", "who writes thread snapshots: writer (this process) or other (a projector service)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	format := fs.String("log-format", "json", "log format: json or text")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: node-runner [flags]\n       node-runner start [flags]   (dispatch runs to the runners; see node-runner start --help)\n\nRuns the example graphs (%s, %s, %s) as a distributed node runner.\nNATS credentials come from files or the environment, never the command line:\n--creds, --nkey, $NATS_USER with $NATS_PASSWORD or --password-file, $NATS_TOKEN,\n--tls-*. A --nats URL holding a password is refused. --tenant confines the\nrunner to a tenant's names (see the README's Security section).\n\nFlags:\n", examples.ChatName, examples.FanOutName, examples.DurableName)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := conn.check(fs); err != nil {
		return err
	}
	log, err := newLogger(stderr, *level, *format)
	if err != nil {
		return err
	}
	by := natsjs.SnapshotBy(*snapshots)
	if by != natsjs.ByWriter && by != natsjs.ByOther {
		return usagef("--snapshots %q: want writer or other", *snapshots)
	}
	nc, closeConn, err := conn.connect(ctx, "node-runner", log)
	if err != nil {
		return err
	}
	defer closeConn()
	js, s, err := openSaver(ctx, nc, by, *logReplicas, conn.tenant, log)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	graphs, err := exampleGraphs(graph.WithCheckpointer(s))
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r, err := runner.New(ctx, runner.Config{
		JetStream: js, Saver: s, Graphs: graphs,
		Concurrency: *concurrency, AckWait: *ackWait, MaxDeliver: *maxDeliver, RetryDelay: *retryDelay, TaskTimeout: *taskTimeout,
		Replicas: *replicas, Logger: log, Metrics: runner.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	srv, addr, err := serveHTTP(*listen, reg, func() bool { return r.Ready() && nc.IsConnected() })
	if err != nil {
		return err
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	log.Info("node-runner ready", "http", addr, "pid", os.Getpid())
	<-ctx.Done()
	log.Info("draining", "timeout", *drain)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *drain)
	defer cancel()
	err = r.Stop(sctx)
	if srv != nil {
		err = errors.Join(err, srv.Shutdown(sctx))
	}
	return err
}

// openSaver opens the JetStream saver the graphs store in.
func openSaver(ctx context.Context, nc *nats.Conn, by natsjs.SnapshotBy, replicas int, tenant string, log *slog.Logger) (jetstream.JetStream, *natsjs.Saver, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, err
	}
	cfg := natsjs.Config{SnapshotBy: by, Logger: log, Tenant: tenant}
	cfg.Log.Replicas = replicas
	s, err := natsjs.New(ctx, js, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open saver: %w", err)
	}
	return js, s, nil
}

// exampleGraphs compiles the example graphs with opts.
func exampleGraphs(opts ...graph.Option) ([]runner.Graph, error) {
	chat, err := examples.Chat(opts...)
	if err != nil {
		return nil, err
	}
	fan, err := examples.FanOut(opts...)
	if err != nil {
		return nil, err
	}
	durable, err := examples.Durable(opts...)
	if err != nil {
		return nil, err
	}
	return []runner.Graph{chat, fan, durable}, nil
}

// serveHTTP serves /healthz (the process is up), /readyz (the runner is
// pulling and connected) and /metrics on addr; it returns the server (nil
// for an empty addr) and the address it listens on.
func serveHTTP(addr string, reg *prometheus.Registry, ready func() bool) (*http.Server, string, error) {
	if addr == "" {
		return nil, "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("--listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln.Addr().String(), nil
}
