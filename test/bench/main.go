// Command bench measures jetgraph's savers side by side and prints one JSON
// line per figure:
//
//	go run ./test/bench -savers memory,natsjs -phases raw,steps,storage,state
//
// Phases: raw (JetStream sync publish with the expected-sequence header, the
// floor for one append), steps (one-node graph invokes on one thread),
// storage (bytes on disk for growing conversations, and the log-log slope),
// state (getState, history and fork on a 1,000-turn thread).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/jetgraph/jetgraph/graph"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	savers  []string
	phases  []string
	invokes int
	turns   int
	dir     string
	// durability is the graph's durability mode; "" leaves the default.
	durability graph.Durability
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	savers := fs.String("savers", "memory,natsjs", "comma-separated savers: "+strings.Join(saverNames(), ", "))
	phases := fs.String("phases", "raw,steps,storage,state", "comma-separated phases: raw, steps, storage, state")
	invokes := fs.Int("invokes", 2000, "invokes in the steps phase")
	turns := fs.Int("turns", 1000, "turns of the thread in the state phase")
	dir := fs.String("dir", "", "data directory (default: a temporary one, removed at the end)")
	durability := fs.String("durability", "", "the graph's durability mode: sync, async or exit (default: the graph's default, async)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := options{savers: split(*savers), phases: split(*phases), invokes: *invokes, turns: *turns, dir: *dir, durability: graph.Durability(*durability)}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "jetgraph-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	defer func() {
		if err := stopLocalPostgres(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: stop local postgres:", err)
		}
	}()
	out := &printer{w: stdout}
	for _, ph := range o.phases {
		switch ph {
		case "raw":
			if err := rawPublish(ctx, o, out); err != nil {
				return fmt.Errorf("raw: %w", err)
			}
		case "steps", "storage", "state":
			for _, name := range o.savers {
				if err := saverPhase(ctx, ph, name, o, out); err != nil {
					out.print(map[string]any{"bench": ph, "saver": name, "error": err.Error()})
				}
			}
		default:
			return fmt.Errorf("unknown phase %q", ph)
		}
	}
	return nil
}

func saverPhase(ctx context.Context, phase, name string, o options, out *printer) error {
	switch phase {
	case "steps":
		return steps(ctx, name, o, out)
	case "storage":
		return storage(ctx, name, o, out)
	default:
		return state(ctx, name, o, out)
	}
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
