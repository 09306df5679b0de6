// Command jetgraph runs jetgraph's demo and an interactive chat on a saver,
// and inspects and edits the threads a saver holds: their history as a
// tree, the state at any checkpoint, diffs, replays, forks, updates, the
// live event stream. It also serves an embedded JetStream server and runs
// the snapshot projector as a service of its own.
//
//	jetgraph serve --data ./jetgraph-data             # nats://127.0.0.1:4222
//	export JETGRAPH_SAVER=nats://127.0.0.1:4222
//	jetgraph chat --thread t1
//	jetgraph history t1 --tree
//	jetgraph state t1 --seq 3 --json
//	jetgraph tail t1
//	jetgraph ui --listen 127.0.0.1:8080               # the threads in a web page
//
// Every command has --help. The saver is --saver URL, or JETGRAPH_SAVER, or
// an embedded JetStream server on --data DIR (JETGRAPH_DATA).
//
// Exit codes: 0 success; 1 an error (unknown thread or checkpoint, an
// unreachable server, a failed run); 2 a usage error (unknown command or
// flag, missing or malformed argument or JSON, an unsupported saver URL).
// Errors are printed on stderr in one line, prefixed "jetgraph: ".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
