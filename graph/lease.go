package graph

import (
	"context"
	"sync"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// DefaultRunLease is how long a run's claim on its thread lasts unless the
// run renews it, for a graph compiled without WithRunLease.
const DefaultRunLease = 30 * time.Second

// WithRunLease sets how long a run's claim on its thread lasts (see
// Graph). A run renews its claim with every commit, and from a timer when
// its nodes run longer than a third of d; a crashed run blocks its thread
// until its claim lapses. Defaults to DefaultRunLease; d must not be
// negative.
func WithRunLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

type waitIfBusy struct{}

func (waitIfBusy) applyCall(c *call) { c.waitIfBusy = true }

// WaitIfBusy makes a call on a thread that another run holds wait until
// that run releases the thread or its lease lapses, then run, instead of
// failing with a *saver.BusyError. The wait ends with the call's context.
func WaitIfBusy() CallOption { return waitIfBusy{} }

// leaseWaiters lets calls waiting for a thread (WaitIfBusy) learn that a
// run of the same graph released it, before its lease would have lapsed.
// A release by another process is seen when the lease lapses.
type leaseWaiters struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// wait returns a channel closed when a run of the graph next releases
// thread.
func (w *leaseWaiters) wait(thread string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = make(map[string]chan struct{})
	}
	ch, ok := w.m[thread]
	if !ok {
		ch = make(chan struct{})
		w.m[thread] = ch
	}
	return ch
}

// released wakes the calls waiting for thread.
func (w *leaseWaiters) released(thread string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.m[thread]; ok {
		close(ch)
		delete(w.m, thread)
	}
}

// waitForLease waits until the lease busy describes lapses, released is
// closed or ctx ends.
func waitForLease(ctx context.Context, busy *saver.BusyError, released <-chan struct{}) error {
	t := time.NewTimer(time.Until(busy.Until))
	defer t.Stop()
	select {
	case <-t.C:
	case <-released:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}
