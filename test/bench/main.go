// Command bench measures jetgraph's savers side by side and prints one JSON
// line per figure:
//
//	go run ./test/bench -savers memory,natsjs -phases raw,steps,storage,state
//
// Phases: raw (JetStream sync publish with the expected-sequence header, the
// floor for one append), steps (one-node graph invokes on one thread),
// storage (bytes on disk for growing conversations, and the log-log slope),
// state (getState, history and fork on a 1,000-turn thread), threads (many
// conversations at once, their JetStream ceiling, and task workflows),
// memory (heap and RSS of a process that touched many threads), cold (the
// first reads of a freshly opened saver on existing data), growth (the
// log-log slope of time against thread length) and replicated (steps and
// threads on a 3-node cluster at 3 replicas beside 1) and runners
// (fan-out threads through 1, 2 and 3 node-runner processes, and the time a
// task takes to finish on another runner after its runner's SIGKILL).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

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
	// threads lists how many conversations the threads phase runs at once.
	threads []int
	// k is how many invokes each conversation of the threads phase makes.
	k int
	// taskRuns is how many runs each task workflow figure makes.
	taskRuns int
	// memThreads lists how many threads the memory phase touches.
	memThreads []int
	// memWorkers is how many goroutines share the memory phase's threads.
	memWorkers int
	// coldTurns is the length of the cold phase's long thread.
	coldTurns int
	// growthTurns lists the thread lengths the growth phase measures at.
	growthTurns []int
	// replSavers are the savers of the replicated phase.
	replSavers []string
	// memProfile, when set, names the memory phase's heap profiles.
	memProfile string
	// durability is the graph's durability mode; "" leaves the default.
	durability graph.Durability
	// runnerThreads is how many fan-out threads the runners phase runs at
	// once for each number of runners.
	runnerThreads int
	// runnerAckWait is the runners' --ack-wait in the runners phase.
	runnerAckWait time.Duration
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	savers := fs.String("savers", "memory,natsjs", "comma-separated savers: "+strings.Join(saverNames(), ", "))
	phases := fs.String("phases", "raw,steps,storage,state", "comma-separated phases: raw, steps, storage, state, threads, memory, cold, growth, replicated, runners")
	invokes := fs.Int("invokes", 2000, "invokes in the steps phase")
	turns := fs.Int("turns", 1000, "turns of the thread in the state phase")
	dir := fs.String("dir", "", "data directory (default: a temporary one, removed at the end)")
	durability := fs.String("durability", "", "the graph's durability mode: sync, async or exit (default: the graph's default, async)")
	threadsFlag := fs.String("threads", "1,8,64,256", "threads phase: comma-separated numbers of conversations at once")
	k := fs.Int("k", 50, "threads phase: invokes per conversation")
	taskRuns := fs.Int("taskruns", 256, "threads phase: runs per task workflow figure")
	memThreads := fs.String("memthreads", "1000,10000", "memory phase: comma-separated numbers of threads")
	memWorkers := fs.Int("memworkers", 8, "memory phase: goroutines sharing the threads")
	coldTurns := fs.Int("coldturns", 2000, "cold phase: turns of the long thread")
	growthTurns := fs.String("growthturns", "100,1000,10000", "growth phase: comma-separated thread lengths in turns")
	replSavers := fs.String("replsavers", "natsjs,natsjs-cluster-r1,natsjs-r3", "replicated phase: comma-separated savers")
	runnerThreads := fs.Int("runnerthreads", 200, "runners phase: fan-out threads at once per number of runners")
	runnerAckWait := fs.Duration("runnerackwait", 2*time.Second, "runners phase: the runners' --ack-wait")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := fs.String("memprofile", "", "memory phase: write a heap profile per saver and N to FILE.<saver>.<N>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := options{savers: split(*savers), phases: split(*phases), invokes: *invokes, turns: *turns, dir: *dir, durability: graph.Durability(*durability),
		k: *k, taskRuns: *taskRuns, memWorkers: *memWorkers, coldTurns: *coldTurns, replSavers: split(*replSavers),
		memProfile: *memprofile, runnerThreads: *runnerThreads, runnerAckWait: *runnerAckWait}
	for _, l := range []struct {
		flag string
		s    string
		to   *[]int
	}{{"threads", *threadsFlag, &o.threads}, {"memthreads", *memThreads, &o.memThreads}, {"growthturns", *growthTurns, &o.growthTurns}} {
		ns, err := splitInts(l.s)
		if err != nil {
			return fmt.Errorf("-%s: %w", l.flag, err)
		}
		*l.to = ns
	}
	if o.k < 1 || o.taskRuns < 1 || o.memWorkers < 1 || o.coldTurns < 1 || o.runnerThreads < 1 {
		return errors.New("-k, -taskruns, -memworkers, -coldturns and -runnerthreads must be at least 1")
	}
	if o.runnerAckWait <= 0 {
		return errors.New("-runnerackwait must be positive")
	}
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
		if err := ctx.Err(); err != nil {
			return err
		}
		switch ph {
		case "raw":
			if err := rawPublish(ctx, o, out); err != nil {
				return fmt.Errorf("raw: %w", err)
			}
		case "threads":
			if err := rawThreadsEmbedded(ctx, o, out); err != nil {
				out.print(map[string]any{"bench": "threads_raw", "error": err.Error()})
			}
			eachSaver(ctx, ph, o.savers, o, out)
		case "replicated":
			replicated(ctx, o, out)
		case "runners":
			if err := runnersPhase(ctx, o, out); err != nil {
				out.print(map[string]any{"bench": "runners", "error": err.Error()})
			}
		case "steps", "storage", "state", "memory", "cold", "growth":
			eachSaver(ctx, ph, o.savers, o, out)
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
	case "threads":
		return threads(ctx, name, o, out)
	case "memory":
		return memoryPhase(ctx, name, o, out)
	case "cold":
		return coldPhase(ctx, name, o, out)
	case "growth":
		return growthPhase(ctx, name, o, out)
	default:
		return state(ctx, name, o, out)
	}
}

// replicated runs the steps and threads phases on o.replSavers, and the
// threads phase's JetStream ceiling on a 3-node cluster at 1 and 3
// replicas.
func replicated(ctx context.Context, o options, out *printer) {
	for _, replicas := range []int{1, 3} {
		if err := rawThreadsCluster(ctx, replicas, o, out); err != nil {
			out.print(map[string]any{"bench": "threads_raw", "server": "cluster", "replicas": replicas, "error": err.Error()})
		}
	}
	for _, ph := range []string{"steps", "threads"} {
		eachSaver(ctx, ph, o.replSavers, o, out)
	}
}

// eachSaver runs phase ph on each of names, printing an error line for a
// saver that fails; it stops when ctx ends.
func eachSaver(ctx context.Context, ph string, names []string, o options, out *printer) {
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		if err := saverPhase(ctx, ph, name, o, out); err != nil {
			out.print(map[string]any{"bench": ph, "saver": name, "error": err.Error()})
		}
	}
}

// writeHeapProfile writes a heap profile as of the last GC to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}

func splitInts(s string) ([]int, error) {
	var out []int
	for _, f := range split(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
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
