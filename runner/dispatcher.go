package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// Dispatcher hands runs to runners: pass it to graph.WithDispatcher on the
// client that calls Invoke. It is safe for concurrent use.
type Dispatcher struct {
	q     *queue
	saver *natsjs.Saver
}

var _ graph.Dispatcher = (*Dispatcher)(nil)

// NewDispatcher creates (or updates) the task stream and the bindings
// bucket names describes and returns a dispatcher over them. s is the
// JetStream saver the client's graphs store in: its thread subjects tell
// the dispatcher when a thread moved. js and s belong to the caller.
func NewDispatcher(ctx context.Context, js jetstream.JetStream, s *natsjs.Saver, names Names, replicas int) (*Dispatcher, error) {
	if js == nil || s == nil {
		return nil, fmt.Errorf("runner: new dispatcher: nil JetStream or saver")
	}
	q, err := openQueue(ctx, js, names, replicas)
	if err != nil {
		return nil, err
	}
	return &Dispatcher{q: q, saver: s}, nil
}

// Bind implements graph.Dispatcher: it records in the bindings bucket that
// thread runs graph name.
func (d *Dispatcher) Bind(ctx context.Context, name, thread string) error {
	return d.q.bind(ctx, name, thread)
}

// Dispatch implements graph.Dispatcher: it publishes the tasks.
func (d *Dispatcher) Dispatch(ctx context.Context, name string, cfg graph.Config, tasks []graph.TaskInfo) error {
	return d.q.publish(ctx, name, cfg, tasks)
}

// Watch implements graph.Dispatcher by following the thread's stored
// events (an ordered consumer from the thread's last sequence): a change
// is reported only once it is stored, so a read that follows sees it.
func (d *Dispatcher) Watch(ctx context.Context, thread string) (<-chan struct{}, func(), error) {
	return watch(ctx, d.saver, thread)
}

func watch(ctx context.Context, s *natsjs.Saver, thread string) (<-chan struct{}, func(), error) {
	after, err := s.EventLog().LastSeq(ctx, thread)
	if err != nil {
		return nil, nil, fmt.Errorf("watch thread %q: %w", thread, err)
	}
	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		for wctx.Err() == nil {
			for ev, err := range s.Tail(wctx, thread, after) {
				if err != nil {
					break
				}
				after = ev.Seq
				signal()
			}
			signal() // the tail broke: let the waiter read the thread again
			t := time.NewTimer(time.Second)
			select {
			case <-t.C:
			case <-wctx.Done():
			}
			t.Stop()
		}
	})
	return ch, func() {
		cancel()
		wg.Wait()
	}, nil
}
