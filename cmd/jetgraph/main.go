// Command jetgraph runs jetgraph's demo: the persistence guide's story,
// end to end, on a saver chosen by flag.
//
//	go run ./cmd/jetgraph demo
//	go run ./cmd/jetgraph demo --saver sqlite://demo.db
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jetgraph:", err)
		os.Exit(1)
	}
}
