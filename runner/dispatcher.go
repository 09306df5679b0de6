package runner

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// Dispatcher hands runs to runners: pass it to graph.WithDispatcher on the
// client that calls Invoke. It is safe for concurrent use.
type Dispatcher struct {
	q     *queue
	nc    *nats.Conn
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
	return &Dispatcher{q: q, nc: js.Conn(), saver: s}, nil
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

// Watch implements graph.Dispatcher with a subscription to the thread's
// event subject.
func (d *Dispatcher) Watch(_ context.Context, thread string) (<-chan struct{}, func(), error) {
	return watch(d.nc, d.saver, thread)
}

func watch(nc *nats.Conn, s *natsjs.Saver, thread string) (<-chan struct{}, func(), error) {
	subj, err := s.EventLog().Subject(thread)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan struct{}, 1)
	sub, err := nc.Subscribe(subj, func(*nats.Msg) {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("watch thread %q: %w", thread, err)
	}
	// The subscription is registered with the server before the caller
	// reads the thread: no append after that read goes unseen.
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, nil, fmt.Errorf("watch thread %q: %w", thread, err)
	}
	return ch, func() { _ = sub.Unsubscribe() }, nil
}
