package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/open"
)

const usage = `usage: jetgraph <command> [flags]

commands:
  demo    run the persistence guide's story end to end

run "jetgraph demo -h" for the demo's flags`

// flags are the demo's options.
type flags struct {
	saver string
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var f flags
	fs.StringVar(&f.saver, "saver", "memory", `where checkpoints go: "memory", or a saver URL (sqlite://demo.db, postgres://..., nats://...)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, closeSaver, err := openSaver(ctx, f)
	if err != nil {
		return err
	}
	defer closeSaver()
	fmt.Fprintf(stdout, "jetgraph demo on the %s saver\n", f.saver)
	prefix := fmt.Sprintf("run-%d/", time.Now().UnixNano())
	if f.saver == "memory" {
		prefix = ""
	}
	return demo.Run(ctx, stdout, s, prefix)
}

// openSaver returns the saver the flags name and a function that releases
// it.
func openSaver(ctx context.Context, f flags) (saver.Saver, func() error, error) {
	if f.saver == "memory" {
		return memory.New(), func() error { return nil }, nil
	}
	s, c, err := open.Saver(ctx, f.saver)
	if err != nil {
		return nil, nil, err
	}
	return s, c.Close, nil
}
