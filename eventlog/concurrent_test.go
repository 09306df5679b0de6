package eventlog_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
)

// acked is an append the log acknowledged.
type acked struct {
	seq     uint64
	payload []byte
}

// Many goroutines append at once through one log, so through one
// connection, each on a thread of its own, while pairs of goroutines, one
// on that log and one on a second log on another connection (another
// process), race on shared threads. Appends pipeline on the connection,
// yet each stays conditional on its thread's expected sequence: every
// acknowledged append is stored, at its sequence, and nothing else is; a
// racing append that lost is a *saver.ConflictError naming the sequence
// it expected and the one it found, and stores nothing.
func TestConcurrentAppendsOnOneConnection(t *testing.T) {
	t.Parallel()
	srv, js := natstest.Server(t)
	ctx := t.Context()
	a, err := eventlog.New(ctx, js, eventlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := eventlog.New(ctx, natstest.Connect(t, srv), eventlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const own, shared, n = 48, 8, 40
	var (
		mu        sync.Mutex
		stored    = map[string][]acked{}
		conflicts int
		wg        sync.WaitGroup
	)
	record := func(thread string, seq uint64, p []byte) {
		mu.Lock()
		defer mu.Unlock()
		stored[thread] = append(stored[thread], acked{seq, p})
	}
	for i := range own {
		wg.Go(func() {
			thread := fmt.Sprint("own-", i)
			var last uint64
			for j := range n {
				p := fmt.Appendf(nil, "%s/%d", thread, j)
				seq, err := a.Append(ctx, thread, last, p)
				if err != nil {
					t.Errorf("%s append %d: %v", thread, j, err)
					return
				}
				if seq <= last {
					t.Errorf("%s append %d: sequence %d after %d", thread, j, seq, last)
					return
				}
				record(thread, seq, p)
				last = seq
			}
		})
	}
	for i := range shared {
		thread := fmt.Sprint("shared-", i)
		for w, l := range []*eventlog.Log{a, b} {
			wg.Go(func() {
				for j := range n {
					last, err := l.LastSeq(ctx, thread)
					if err != nil {
						t.Error(err)
						return
					}
					p := fmt.Appendf(nil, "%s/%d/%d", thread, w, j)
					seq, err := l.Append(ctx, thread, last, p)
					var ce *saver.ConflictError
					switch {
					case err == nil:
						record(thread, seq, p)
					case errors.As(err, &ce):
						if ce.ThreadID != thread || ce.Expected != last || ce.Actual <= last {
							t.Errorf("%s: conflict %+v after expecting %d", thread, ce, last)
						}
						mu.Lock()
						conflicts++
						mu.Unlock()
					default:
						t.Errorf("%s: %v", thread, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d conflicts among the racing appends", conflicts)
	for thread, want := range stored {
		got := read(t, b, thread, 0, ^uint64(0))
		if len(got) != len(want) {
			t.Fatalf("%s: %d events stored, %d acknowledged", thread, len(got), len(want))
		}
		byseq := map[uint64][]byte{}
		for _, w := range want {
			byseq[w.seq] = w.payload
		}
		for _, ev := range got {
			if p, ok := byseq[ev.Seq]; !ok || !bytes.Equal(p, ev.Payload) {
				t.Fatalf("%s: event %d is %q, acknowledged there: %q", thread, ev.Seq, ev.Payload, p)
			}
		}
	}
}

// Appends racing for the same position of a thread, sent at once by many
// goroutines over two connections: exactly one lands per thread, every
// other is a conflict that names the winner's sequence.
func TestRacingAppendsOneWinsPerThread(t *testing.T) {
	t.Parallel()
	srv, js := natstest.Server(t)
	ctx := t.Context()
	logs := make([]*eventlog.Log, 2)
	for i, js := range []jetstream.JetStream{js, natstest.Connect(t, srv)} {
		l, err := eventlog.New(ctx, js, eventlog.Config{})
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = l
	}
	const threads, racers = 16, 8
	type result struct {
		seq uint64
		err error
	}
	results := make([][]result, threads)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range threads {
		results[i] = make([]result, racers)
		for r := range racers {
			wg.Go(func() {
				<-start
				seq, err := logs[r%2].Append(ctx, fmt.Sprint("race-", i), 0, fmt.Appendf(nil, "racer %d", r))
				results[i][r] = result{seq, err}
			})
		}
	}
	close(start)
	wg.Wait()
	for i, rs := range results {
		var winner uint64
		for _, r := range rs {
			if r.err == nil {
				if winner != 0 {
					t.Fatalf("thread %d: two appends at position 0 landed", i)
				}
				winner = r.seq
			}
		}
		if winner == 0 {
			t.Fatalf("thread %d: no append landed: %v", i, rs[0].err)
		}
		for r, res := range rs {
			var ce *saver.ConflictError
			if res.err != nil && (!errors.As(res.err, &ce) || ce.Expected != 0 || ce.Actual != winner) {
				t.Fatalf("thread %d racer %d: %v, want a conflict at %d", i, r, res.err, winner)
			}
		}
		if evs := read(t, logs[0], fmt.Sprint("race-", i), 0, ^uint64(0)); len(evs) != 1 || evs[0].Seq != winner {
			t.Fatalf("thread %d: stored %v, want the winner's event alone", i, evs)
		}
	}
}
