package runner

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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
// bucket names describes (with the saver's tenant's names in the fields it
// leaves empty, see Names.ForTenant) and returns a dispatcher over them. s is the
// JetStream saver the client's graphs store in: its thread subjects tell
// the dispatcher when a thread moved. js and s belong to the caller.
func NewDispatcher(ctx context.Context, js jetstream.JetStream, s *natsjs.Saver, names Names, replicas int) (*Dispatcher, error) {
	if js == nil || s == nil {
		return nil, fmt.Errorf("runner: new dispatcher: nil JetStream or saver")
	}
	q, err := openQueue(ctx, js, names.ForTenant(s.Tenant()), replicas)
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
// event subject. A message reaches subscribers before the stream has
// stored it, so a change is reported only once the thread's last stored
// sequence passes the one the append expected (its
// Nats-Expected-Last-Subject-Sequence header): a read that follows sees
// it. It holds no JetStream consumer, so any number of calls can wait.
func (d *Dispatcher) Watch(ctx context.Context, thread string) (<-chan struct{}, func(), error) {
	return watch(ctx, d.nc, d.saver, thread)
}

// maxStoreWait bounds the wait for the stream to store an append seen on
// the subject (an append the stream refused is never stored).
const maxStoreWait = 2 * time.Second

func watch(ctx context.Context, nc *nats.Conn, s *natsjs.Saver, thread string) (<-chan struct{}, func(), error) {
	subj, err := s.EventLog().Subject(thread)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan struct{}, 1)
	kick := make(chan struct{}, 1)
	var expect atomic.Uint64 // the highest expected sequence seen
	sub, err := nc.Subscribe(subj, func(m *nats.Msg) {
		if e, err := strconv.ParseUint(m.Header.Get(jetstream.ExpectedLastSubjSeqHeader), 10, 64); err == nil {
			for old := expect.Load(); e > old && !expect.CompareAndSwap(old, e); old = expect.Load() {
			}
		}
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("watch thread %q: %w", thread, err)
	}
	// Registered with the server before the caller reads the thread: no
	// append after that read goes unseen.
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, nil, fmt.Errorf("watch thread %q: %w", thread, err)
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-kick:
			case <-wctx.Done():
				return
			}
			waitStored(wctx, s, thread, expect.Load())
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	})
	return ch, func() {
		_ = sub.Unsubscribe()
		cancel()
		wg.Wait()
	}, nil
}

// waitStored waits, re-reading the thread's last sequence with a growing
// pause, until it passes after, for at most maxStoreWait.
func waitStored(ctx context.Context, s *natsjs.Saver, thread string, after uint64) {
	pause := time.Millisecond
	deadline := time.Now().Add(maxStoreWait)
	for {
		last, err := s.EventLog().LastSeq(ctx, thread)
		if (err == nil && last > after) || time.Now().After(deadline) {
			return
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}
