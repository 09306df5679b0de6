package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jetgraph/jetgraph/graph"
)

// minThreadsInvokes is the least number of timed invokes of a threads
// figure: at C = 1, K invokes alone are too few for a rate.
const minThreadsInvokes = 4000

// threads: for each C of o.threads, C conversations at once, each a
// goroutine making K one-node invokes on a thread of its own and then
// going on to a new thread, until every goroutine has had the same number
// of threads and at least minThreadsInvokes invokes are made in all. So
// every C does about the same work, on threads of the same lengths (0 to
// K-1 turns before an invoke), and C = 1 is a rate, not 50 calls. Each
// figure follows an untimed round at the same C (a short conversation per
// goroutine) and a garbage collection, so it does not pay for the last
// one's garbage. Then the task workflows.
func threads(ctx context.Context, name string, o options, out *printer) error {
	b, err := open(ctx, name, o.dir)
	if err != nil {
		return err
	}
	defer b.close(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	chain, err := appendOne(b.saver, 64, o.durability)
	if err != nil {
		return err
	}
	for range warmup {
		if _, err := chain.Invoke(ctx, chatState{}, graph.Config{ThreadID: "warmup"}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	for _, c := range o.threads {
		warm := min(o.k, 10)
		if _, _, err := concurrently(ctx, c, warm, func(ctx context.Context, w, _ int) error {
			_, err := chain.Invoke(ctx, chatState{}, graph.Config{ThreadID: fmt.Sprintf("warm-c%d-%d", c, w)})
			return err
		}); err != nil {
			return fmt.Errorf("%d threads: warm-up: %w", c, err)
		}
		runtime.GC()
		convs, n := threadsShape(c, o.k)
		cpu0 := cpuTime()
		lat, elapsed, err := concurrently(ctx, c, n, func(ctx context.Context, w, i int) error {
			// Worker w's conversations, one after the other.
			thread := fmt.Sprintf("c%d-%d-%d", c, w, i/o.k)
			_, err := chain.Invoke(ctx, chatState{}, graph.Config{ThreadID: thread})
			return err
		})
		cpu := cpuTime() - cpu0
		if err != nil {
			return fmt.Errorf("%d threads: %w", c, err)
		}
		out.print(map[string]any{
			"bench": "threads", "saver": name, "threads": c, "invokes": c * n, "conversations": c * convs,
			"invokes_per_s": round(float64(c*n)/elapsed.Seconds(), 0),
			"p50_us":        us(percentile(lat, 0.50)), "p99_us": us(percentile(lat, 0.99)),
			"cpu_us_per_invoke": round(float64(cpu)/float64(time.Microsecond)/float64(c*n), 1),
			"cores":             round(cpu.Seconds()/elapsed.Seconds(), 2),
		})
	}
	return threadsTasks(ctx, name, b, o, out)
}

// cpuTime is the CPU time (user and system) the process has used so far,
// the embedded NATS server's included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadsShape returns how many conversations of k invokes each of c
// goroutines makes, and how many invokes that is per goroutine: the same
// number each, at least minThreadsInvokes in all.
func threadsShape(c, k int) (convs, invokes int) {
	convs = max(1, (minThreadsInvokes+c*k-1)/(c*k))
	return convs, convs * k
}

// threadsTasks: the DBOS comparison's workflows, one to three nodes each
// calling graph.Task once, durability sync, a new thread per run, one run
// at a time and 64 at once.
func threadsTasks(ctx context.Context, name string, b *backend, o options, out *printer) error {
	for _, nodes := range []int{1, 3} {
		chain, err := taskChain(b.saver, nodes)
		if err != nil {
			return err
		}
		for range warmup / 4 {
			if _, err := chain.Invoke(ctx, taskState{}, graph.Config{ThreadID: fmt.Sprint("task-warmup-", nodes)}); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
		for _, conc := range []int{1, 64} {
			var next atomic.Int64
			per := max(1, o.taskRuns/conc)
			lat, elapsed, err := concurrently(ctx, conc, per, func(ctx context.Context, _, _ int) error {
				thread := fmt.Sprintf("task-n%d-c%d-%d", nodes, conc, next.Add(1))
				st, err := chain.Invoke(ctx, taskState{}, graph.Config{ThreadID: thread})
				if err == nil && st.Steps != nodes {
					err = fmt.Errorf("thread %s: %d steps, want %d", thread, st.Steps, nodes)
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("tasks, %d nodes, %d at once: %w", nodes, conc, err)
			}
			runs := conc * per
			out.print(map[string]any{
				"bench": "threads_tasks", "saver": name, "nodes": nodes, "concurrency": conc, "runs": runs,
				"runs_per_s": round(float64(runs)/elapsed.Seconds(), 0),
				"p50_us":     us(percentile(lat, 0.50)), "p99_us": us(percentile(lat, 0.99)),
			})
		}
	}
	return nil
}

// concurrently runs fn n times on each of c workers, all at once, and
// returns every call's latency and the time until the last one finished.
// The first error stops the others.
func concurrently(ctx context.Context, c, n int, fn func(ctx context.Context, worker, i int) error) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lats := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, n)
			for i := range n {
				t0 := time.Now()
				if err := fn(ctx, w, i); err != nil {
					cancel(fmt.Errorf("worker %d, call %d: %w", w, i, err))
					return
				}
				lat = append(lat, time.Since(t0))
			}
			lats[w] = lat
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return all, elapsed, nil
}
