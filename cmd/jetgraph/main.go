// Command jetgraph runs jetgraph's demo, the persistence guide's story end
// to end, on an embedded JetStream server by default, and audits threads:
// it replays a thread's event log and prints every event. It also runs the
// snapshot projector as a service of its own.
//
//	go run ./cmd/jetgraph demo
//	go run ./cmd/jetgraph demo --data ./jetgraph-data   # keep the data
//	go run ./cmd/jetgraph audit --data ./jetgraph-data --thread THREAD
//	go run ./cmd/jetgraph projector --nats nats://HOST:4222
//	go run ./cmd/jetgraph projector --data ./jetgraph-data --rebuild
//	go run ./cmd/jetgraph demo --saver memory
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
