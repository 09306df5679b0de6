package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryTurns is how many turns the memory phase makes on each thread.
const memoryTurns = 20

// memoryPhase: one process touches N threads of 20 turns each (200-byte
// messages) through one compiled graph, for each N of o.memThreads on a
// fresh saver; then, after a GC, the heap, the RSS and the goroutines (the
// saver open, the graph alive). The natsjs savers' server runs in the same
// process and counts.
func memoryPhase(ctx context.Context, name string, o options, out *printer) error {
	for _, n := range o.memThreads {
		if err := memoryAt(ctx, name, n, o, out); err != nil {
			return fmt.Errorf("%d threads: %w", n, err)
		}
	}
	return nil
}

func memoryAt(ctx context.Context, name string, n int, o options, out *printer) error {
	settle()
	base := heapBytes()
	baseRSS, err := rssBytes()
	if err != nil {
		return err
	}
	b, err := open(ctx, name, o.dir)
	if err != nil {
		return err
	}
	defer b.close(context.WithoutCancel(ctx)) //nolint:errcheck // best effort
	chain, err := appendOne(b.saver, 200, o.durability)
	if err != nil {
		return err
	}
	// Worker w owns threads w, w+W, ...; each worker goes round its threads
	// a turn at a time, so every thread is touched again only after all the
	// worker's others were: a saver's cache of recent threads does not hold
	// them all once N is past its size.
	w := min(o.memWorkers, n)
	per := (n + w - 1) / w
	_, elapsed, err := concurrently(ctx, w, per*memoryTurns, func(ctx context.Context, worker, i int) error {
		t := worker + w*(i%per)
		if t >= n {
			return nil
		}
		return turn(ctx, chain, fmt.Sprint("mem-", t), 200)
	})
	if err != nil {
		return err
	}
	settle()
	heap := heapBytes()
	rss, err := rssBytes()
	if err != nil {
		return err
	}
	line := map[string]any{
		"bench": "memory", "saver": name, "threads": n, "turns": memoryTurns, "invokes": n * memoryTurns,
		"invokes_per_s": round(float64(n*memoryTurns)/elapsed.Seconds(), 0),
		"heap_bytes":    heap, "heap_base_bytes": base, "rss_bytes": rss, "rss_base_bytes": baseRSS, "goroutines": runtime.NumGoroutine(),
		"heap_per_thread": (int64(heap) - int64(base)) / int64(n),
	}
	// The savers over eventstore say what their thread cache holds: the
	// threads and the stored bytes it counts against its bound.
	if c, ok := b.saver.(interface{ CachedThreads() (int, int64) }); ok {
		line["cached_threads"], line["cached_bytes"] = c.CachedThreads()
	}
	out.print(line)
	runtime.KeepAlive(chain)
	if o.memProfile != "" {
		return writeHeapProfile(fmt.Sprintf("%s.%s.%d", o.memProfile, name, n))
	}
	return nil
}

// settle collects twice, so that what sync.Pools held at the first
// collection is freed by the second, and hands freed pages back to the OS,
// so that RSS is not what an earlier saver left behind.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

func heapBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rssBytes reads VmRSS from /proc/self/status.
func rssBytes() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
