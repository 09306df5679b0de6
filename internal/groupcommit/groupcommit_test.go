package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// A lone caller's batch is written on its own goroutine before Do
// returns: nobody waits for company.
func TestLoneCallerWritesAtOnce(t *testing.T) {
	var c Committer[int, int]
	var batches [][]int
	c.Write = func(_ context.Context, b []*Call[int, int]) {
		var ins []int
		for _, call := range b {
			ins = append(ins, call.In)
			call.Out = call.In * 2
		}
		batches = append(batches, ins) // no lock: only this goroutine writes
	}
	for i := range 3 {
		out, err := c.Do(t.Context(), i)
		if err != nil || out != 2*i {
			t.Fatalf("Do(%d) = %d, %v", i, out, err)
		}
	}
	if len(batches) != 3 {
		t.Fatalf("batches %v, want one per call", batches)
	}
}

// Calls that arrive while a batch is written go together into the next
// one, at most Max at a time, and each gets its own result.
func TestWaitingCallsShareBoundedBatches(t *testing.T) {
	var c Committer[int, int]
	c.Max = 4
	release := make(chan struct{})
	first := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	c.Write = func(_ context.Context, b []*Call[int, int]) {
		mu.Lock()
		sizes = append(sizes, len(b))
		n := len(sizes)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release // hold the writer while the others queue
		}
		for _, call := range b {
			call.Out = call.In + 100
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if out, err := c.Do(t.Context(), 0); err != nil || out != 100 {
			t.Errorf("Do(0) = %d, %v", out, err)
		}
	})
	<-first
	// Queue n calls behind the held writer, as Do would.
	const n = 10
	calls := make([]*Call[int, int], n)
	c.mu.Lock()
	for i := range calls {
		calls[i] = &Call[int, int]{Ctx: t.Context(), In: i + 1, done: make(chan struct{})}
		c.pending = append(c.pending, calls[i])
	}
	c.mu.Unlock()
	close(release)
	for _, call := range calls {
		<-call.done
		if call.Err != nil || call.Out != call.In+100 {
			t.Errorf("call %d: %d, %v", call.In, call.Out, call.Err)
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for i, s := range sizes {
		if s > c.Max {
			t.Errorf("batch %d has %d calls, more than Max %d", i, s, c.Max)
		}
		total += s
	}
	if total != n+1 || len(sizes) != 1+(n+c.Max-1)/c.Max {
		t.Errorf("batch sizes %v: want 1, then %d calls in batches of at most %d", sizes, n, c.Max)
	}
}

// A call whose caller gave up before its batch formed is not written; a
// batch's context ends only when all of its callers have given up.
func TestCancelledCallers(t *testing.T) {
	var c Committer[int, int]
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	c.Write = func(context.Context, []*Call[int, int]) { t.Error("a cancelled call was written") }
	if _, err := c.Do(gone, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Do: %v", err)
	}

	a, cancelA := context.WithCancel(t.Context())
	b, cancelB := context.WithCancel(t.Context())
	batch := []*Call[int, int]{{Ctx: a}, {Ctx: b}}
	ctx, stop := batchContext(batch)
	defer stop()
	cancelA()
	if ctx.Err() != nil {
		t.Fatal("batch context ended while one caller still waits")
	}
	cancelB()
	<-ctx.Done() // ends once both gave up
}
