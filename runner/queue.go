package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/graph"
)

// taskMsg is a task as published on the task stream.
type taskMsg struct {
	Graph      string `json:"graph"`
	Thread     string `json:"thread"`
	NS         string `json:"ns,omitempty"`
	Checkpoint string `json:"checkpoint"`
	Task       string `json:"task"`
	Node       string `json:"node"`
}

func (m taskMsg) config() graph.Config {
	return graph.Config{ThreadID: m.Thread, CheckpointNS: m.NS, CheckpointID: m.Checkpoint}
}

// queue is the JetStream side shared by runners and dispatchers: the task
// stream and the bindings bucket.
type queue struct {
	js       jetstream.JetStream
	names    Names
	bindings jetstream.KeyValue

	mu    sync.Mutex
	bound map[string]string // thread -> graph, as read or written
}

// openQueue creates (or updates) the task stream and the bindings bucket.
func openQueue(ctx context.Context, js jetstream.JetStream, names Names, replicas int) (*queue, error) {
	names = names.withDefaults()
	if replicas == 0 {
		replicas = 1
	}
	ctx, cancel := context.WithTimeout(ctx, eventlog.SetupTimeout)
	defer cancel()
	_, err := eventlog.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:      names.Stream,
		Subjects:  []string{names.Subject},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
		Replicas:  replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create task stream %s: %w", names.Stream, err)
	}
	// Replicated, the bucket's reads go to its leader: a binding another
	// runner just stored is seen by the outbox that handles the thread's
	// next event (a follower that had not applied it would have the event
	// dropped as not dispatched).
	kv, _, err := eventlog.OpenBucket(ctx, js, jetstream.KeyValueConfig{Bucket: names.Bindings, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("bindings: %w", err)
	}
	return &queue{js: js, names: names, bindings: kv, bound: map[string]string{}}, nil
}

// bindingKey is the bucket key of a thread: thread ids are any string,
// keys are not.
func bindingKey(thread string) string {
	h := sha256.Sum256([]byte(thread))
	return "t." + hex.EncodeToString(h[:16])
}

// bind records that thread runs graph name.
func (q *queue) bind(ctx context.Context, name, thread string) error {
	q.mu.Lock()
	known := q.bound[thread] == name
	q.mu.Unlock()
	if known {
		return nil
	}
	if _, err := q.bindings.Put(ctx, bindingKey(thread), []byte(name)); err != nil {
		return fmt.Errorf("bind thread %q to graph %q: %w", thread, name, err)
	}
	q.remember(thread, name)
	return nil
}

func (q *queue) remember(thread, name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.bound) > 100_000 {
		clear(q.bound)
	}
	q.bound[thread] = name
}

// graphOf returns the graph thread is bound to; "" if none.
func (q *queue) graphOf(ctx context.Context, thread string) (string, error) {
	q.mu.Lock()
	name, ok := q.bound[thread]
	q.mu.Unlock()
	if ok {
		return name, nil
	}
	e, err := q.bindings.Get(ctx, bindingKey(thread))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("binding of thread %q: %w", thread, err)
	}
	q.remember(thread, string(e.Value()))
	return string(e.Value()), nil
}

// publish publishes tasks of the checkpoint cfg names, each with its task
// id as message id: a task published twice is stored once.
func (q *queue) publish(ctx context.Context, name string, cfg graph.Config, tasks []graph.TaskInfo) error {
	for _, t := range tasks {
		b, err := json.Marshal(taskMsg{Graph: name, Thread: cfg.ThreadID, NS: cfg.CheckpointNS, Checkpoint: cfg.CheckpointID, Task: t.ID, Node: t.Name})
		if err != nil {
			return err
		}
		if _, err := q.js.Publish(ctx, q.names.Subject, b, jetstream.WithMsgID(t.ID)); err != nil {
			return fmt.Errorf("publish task %s of thread %q: %w", t.ID, cfg.ThreadID, err)
		}
	}
	return nil
}

func decodeTask(b []byte) (taskMsg, bool) {
	var tm taskMsg
	if err := json.Unmarshal(b, &tm); err != nil || tm.Graph == "" || tm.Thread == "" || tm.Checkpoint == "" || tm.Task == "" {
		return tm, false
	}
	return tm, true
}
