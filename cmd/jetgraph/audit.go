package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/audit"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

func runAudit(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var f saverFlags
	f.register(fs)
	thread := fs.String("thread", "", "the thread to replay; without it, list the threads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.saver == "jetstream" && f.data == "" {
		return errors.New("audit: --data names the embedded JetStream data directory to read (or pass --saver URL)")
	}
	if f.saver == "memory" {
		return errors.New("audit: a memory saver starts empty; name a durable saver")
	}
	s, closeSaver, err := openSaver(ctx, f)
	if err != nil {
		return err
	}
	defer closeSaver()
	logged, ok := s.(interface{ Log() eventstore.Log })
	if !ok {
		return fmt.Errorf("audit: %T keeps no event log", s)
	}
	if *thread == "" {
		return audit.Threads(ctx, stdout, logged.Log())
	}
	return audit.Thread(ctx, stdout, logged.Log(), *thread)
}
