// Command node-runner runs jetgraph graphs as a distributed node runner: it
// pulls tasks from the JetStream work queue, runs their nodes and advances
// their threads (see package runner). It hosts the example graphs of
// package runner/examples: chat, fanout and durable.
//
//	node-runner --nats nats://localhost:4222
//	node-runner --embedded ./data            # one machine: an embedded server
//	node-runner start --nats ... --graph fanout --threads 100
//
// "start" is the client: it dispatches runs to the runners and waits for
// them. SIGINT or SIGTERM drains the tasks in flight and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "node-runner:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "node-runner:", err)
		os.Exit(1)
	}
}
