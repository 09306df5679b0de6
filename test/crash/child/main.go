// Command child is the worker the crash harness (package crash) starts and
// kills: it runs one step of an order workflow's life on a thread, on the
// saver a URL names, and reports what it saw on stdout, one JSON object a
// line. The harness SIGKILLs it at random moments and starts it again until
// the workflow ends.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
}
