package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// The sender publishes every message queued by many goroutines at once
// exactly once, whoever of them ends up publishing it, and reports no
// error for them; a message whose caller's context ended before it was
// published is not sent, and its caller gets the context's error.
func TestSenderPublishesEachQueuedMessageOnce(t *testing.T) {
	t.Parallel()
	_, js := natstest.Server(t)
	nc := js.Conn()
	const goroutines, each = 64, 200
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		all  = make(chan struct{}) // closed when every message arrived
		last = make(chan struct{}) // closed when the final one did
	)
	sub, err := nc.Subscribe("sender.>", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen[string(m.Data)]++
		switch {
		case string(m.Data) == "final":
			close(last)
		case len(seen) == goroutines*each && seen[string(m.Data)] == 1:
			close(all)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes at the end anyway
	s := &sender{nc: nc}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				failed := make(chan error, 1)
				s.send(t.Context(), &nats.Msg{Subject: fmt.Sprint("sender.", g), Data: fmt.Appendf(nil, "%d/%d", g, i)}, failed)
				select {
				case err := <-failed:
					t.Errorf("publish %d/%d: %v", g, i, err)
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	failed := make(chan error, 1)
	s.send(cancelled, &nats.Msg{Subject: "sender.x", Data: []byte("never")}, failed)
	if err := <-failed; !errors.Is(err, context.Canceled) {
		t.Fatalf("a message whose caller gave up: %v, want context.Canceled", err)
	}

	select {
	case <-all:
	case <-t.Context().Done():
		t.Fatal("not every message arrived")
	}
	// A message sent after the burst still goes out: no publisher was left
	// marked busy with nobody publishing.
	s.send(t.Context(), &nats.Msg{Subject: "sender.y", Data: []byte("final")}, failed)
	select {
	case <-last:
	case err := <-failed:
		t.Fatal(err)
	case <-t.Context().Done():
		t.Fatal("a message sent after the others was never published")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != goroutines*each+1 {
		t.Fatalf("%d distinct messages arrived, want %d", len(seen), goroutines*each+1)
	}
	for data, n := range seen {
		if n != 1 || data == "never" {
			t.Fatalf("message %q arrived %d times", data, n)
		}
	}
}
