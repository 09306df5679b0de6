// Package groupcommit lets concurrent callers share one database
// transaction, and so one commit and one fsync, the way a JetStream client
// pipelines publishes. Each caller hands in one request and gets its own
// result back; the function that writes a batch decides every request on
// its own (one request's conflict or failure is not the others').
//
// There is no timer: a caller that finds a writer free writes its batch at
// once (a single writer waits for nobody), and requests that arrive while a
// batch is being written wait for the next one, which takes all of them up
// to a bound.
package groupcommit

import (
	"context"
	"sync"
	"sync/atomic"
)

// Call is one caller's request in a batch. Write sets Out or Err on each
// call it is given.
type Call[In, Out any] struct {
	// Ctx is the caller's context. A batch's own context is cancelled only
	// once every caller in it has given up.
	Ctx context.Context
	// In is the caller's request.
	In In
	// Out is the caller's result, set by Write.
	Out Out
	// Err is the caller's error, set by Write.
	Err error

	done chan struct{}
}

// Committer queues calls and writes them in batches. The zero value is not
// usable: set Write (and optionally Max and Writers) before the first Do,
// and do not change them afterwards.
type Committer[In, Out any] struct {
	// Write writes one batch: it sets Out or Err on every call. ctx is done
	// only when every caller of the batch gave up. Calls whose caller had
	// already given up when the batch was formed are not passed in.
	Write func(ctx context.Context, batch []*Call[In, Out])
	// Max bounds a batch's size; 0 means 128.
	Max int
	// Writers bounds how many batches are written at once; 0 means 1.
	Writers int

	mu      sync.Mutex
	pending []*Call[In, Out]
	busy    int // batches being written
}

// Do queues in and returns its result once the batch holding it was
// written. If ctx is done first, Do returns ctx's error; the request may
// still be written (as with any database call cut short, the outcome is
// then unknown).
func (c *Committer[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	call := &Call[In, Out]{Ctx: ctx, In: in, done: make(chan struct{})}
	c.mu.Lock()
	c.pending = append(c.pending, call)
	lead := c.busy < c.writers()
	if lead {
		c.busy++
	}
	c.mu.Unlock()
	if lead {
		// Write on the caller's goroutine: an idle single caller pays no
		// hand-off. Later batches go to a fresh goroutine so this caller
		// returns as soon as its own batch is written.
		c.writeOne()
	}
	select {
	case <-call.done:
		return call.Out, call.Err
	case <-ctx.Done():
		var zero Out
		return zero, context.Cause(ctx)
	}
}

func (c *Committer[In, Out]) writers() int {
	if c.Writers <= 0 {
		return 1
	}
	return c.Writers
}

func (c *Committer[In, Out]) max() int {
	if c.Max <= 0 {
		return 128
	}
	return c.Max
}

// writeOne writes one batch of what is pending, then hands the writer slot
// on: to a new goroutine if calls are waiting, else back.
func (c *Committer[In, Out]) writeOne() {
	c.mu.Lock()
	n := min(len(c.pending), c.max())
	batch := make([]*Call[In, Out], 0, n)
	for _, call := range c.pending[:n] {
		if err := call.Ctx.Err(); err != nil {
			call.Err = context.Cause(call.Ctx)
			close(call.done)
			continue
		}
		batch = append(batch, call)
	}
	c.pending = append(c.pending[:0], c.pending[n:]...)
	c.mu.Unlock()

	if len(batch) > 0 {
		ctx, cancel := batchContext(batch)
		c.Write(ctx, batch)
		cancel()
		for _, call := range batch {
			close(call.done)
		}
	}

	c.mu.Lock()
	more := len(c.pending) > 0
	if !more {
		c.busy--
	}
	c.mu.Unlock()
	if more {
		go c.writeOne()
	}
}

// batchContext returns a context that is done once every call's context
// is, and carries no values of its own.
func batchContext[In, Out any](batch []*Call[In, Out]) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	left := atomic.Int64{}
	left.Store(int64(len(batch)))
	stops := make([]func() bool, 0, len(batch))
	for _, call := range batch {
		stops = append(stops, context.AfterFunc(call.Ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		}))
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
