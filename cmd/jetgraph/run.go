package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
)

const usage = `usage: jetgraph <command> [flags]

commands:
  demo    run the persistence guide's story end to end
  audit   list a saver's threads, or replay and print one thread's events
  projector
          fold the event stream into the snapshot bucket, as a service of
          its own (or --rebuild the bucket from the stream)

run "jetgraph demo -h" for the demo's flags`

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], stdout)
	case "audit":
		return runAudit(ctx, args[1:], stdout)
	case "projector":
		return runProjector(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var f saverFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, closeSaver, err := openSaver(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "jetgraph demo on the %s\n", f.describe())
	prefix := fmt.Sprintf("run-%d/", time.Now().UnixNano())
	if f.saver == "memory" {
		prefix = ""
	}
	err = demo.Run(ctx, stdout, s, prefix)
	if cerr := closeSaver(); err == nil {
		err = cerr
	}
	if err == nil && f.saver == "jetstream" && f.data != "" {
		fmt.Fprintf(stdout, "\nThe threads' event logs are kept in %s. Inspect one with:\n  go run ./cmd/jetgraph audit --data %s --thread %sdemo\n", f.data, f.data, prefix)
	}
	return err
}
