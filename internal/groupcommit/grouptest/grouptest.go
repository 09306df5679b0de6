// Package grouptest checks a group-committing eventstore.Log from outside:
// many goroutines, on one log or on several logs over the same database
// (as several processes would be), append to a few threads at once, and
// every outcome is checked against what the database holds afterwards.
package grouptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Race sizes a run of RunRace.
type Race struct {
	// Threads is how many threads the writers share.
	Threads int
	// Writers is how many goroutines append to each thread through each log.
	Writers int
	// Rounds is how many appends each goroutine tries.
	Rounds int
	// SpuriousConflicts allows a refused append whose thread had not moved
	// on (a serialization failure under SERIALIZABLE is reported as a
	// conflict, and the log may still be at the expected sequence).
	SpuriousConflicts bool
}

type outcome struct {
	thread  string
	expect  uint64
	seq     uint64 // 0: refused
	payload string
}

// RunRace runs the race on logs, which must share one empty database, and
// checks that every acknowledged append is stored at the sequence it was
// given, with its payload; that sequences have no gap and no duplicate;
// that every refused append was refused with a *saver.ConflictError and
// stored nothing, and that its thread had moved on (someone else's event
// is at the sequence it wanted); and that nothing is stored that no caller
// was told about.
func RunRace(t *testing.T, logs []eventstore.Log, r Race) {
	t.Helper()
	ctx := t.Context()
	var (
		mu  sync.Mutex
		out []outcome
		wg  sync.WaitGroup
	)
	for li, l := range logs {
		for th := range r.Threads {
			thread := fmt.Sprintf("race-%d", th)
			for w := range r.Writers {
				wg.Go(func() {
					for round := range r.Rounds {
						expect, err := l.LastSeq(ctx, thread)
						if err != nil {
							t.Errorf("last seq of %s: %v", thread, err)
							return
						}
						p := fmt.Sprintf("log%d/w%d/r%d", li, w, round)
						seq, err := l.Append(ctx, thread, expect, []byte(p))
						var ce *saver.ConflictError
						switch {
						case err == nil:
							if seq != expect+1 {
								t.Errorf("%s: append after %d got seq %d", thread, expect, seq)
							}
						case errors.As(err, &ce):
							if ce.ThreadID != thread || ce.Expected != expect {
								t.Errorf("%s: conflict %+v for an append after %d", thread, ce, expect)
							}
							if ce.Actual <= expect && !r.SpuriousConflicts {
								t.Errorf("%s: refused after %d, but the log is at %d", thread, expect, ce.Actual)
							}
						default:
							t.Errorf("%s: append after %d: %v", thread, expect, err)
							return
						}
						mu.Lock()
						out = append(out, outcome{thread, expect, seq, p})
						mu.Unlock()
						if seq == 0 {
							continue
						}
						// The same expectation again is stale now: it must lose,
						// whatever the other writers did meanwhile.
						_, err = l.Append(ctx, thread, expect, []byte(p+"/stale"))
						if !errors.As(err, &ce) || ce.Actual <= expect {
							t.Errorf("%s: stale append after %d: %v, want a conflict", thread, expect, err)
							return
						}
						mu.Lock()
						out = append(out, outcome{thread, expect, 0, p + "/stale"})
						mu.Unlock()
					}
				})
			}
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	stored := map[string]map[uint64]string{} // thread -> seq -> payload
	for th := range r.Threads {
		thread := fmt.Sprintf("race-%d", th)
		got := map[uint64]string{}
		var seqs []uint64
		for ev, err := range logs[0].Read(ctx, thread, 0) {
			if err != nil {
				t.Fatalf("read %s: %v", thread, err)
			}
			if _, dup := got[ev.Seq]; dup {
				t.Errorf("%s: two events at seq %d", thread, ev.Seq)
			}
			got[ev.Seq] = string(ev.Payload)
			seqs = append(seqs, ev.Seq)
		}
		for i, s := range seqs {
			if s != uint64(i+1) {
				t.Fatalf("%s: sequences %v have a gap or are out of order at %d", thread, seqs, i)
			}
		}
		stored[thread] = got
	}

	acked := map[string]bool{}
	var wins, losses int
	for _, o := range out {
		at, ok := stored[o.thread][o.expect+1]
		if o.seq != 0 {
			wins++
			acked[o.thread+"\x00"+o.payload] = true
			if !ok || at != o.payload {
				t.Errorf("%s: acknowledged append %q at %d, the log has %q there", o.thread, o.payload, o.seq, at)
			}
			continue
		}
		losses++
		if ok && at == o.payload {
			t.Errorf("%s: refused append %q is stored at %d", o.thread, o.payload, o.expect+1)
		}
		if !ok && !r.SpuriousConflicts {
			t.Errorf("%s: append after %d refused, but nothing is stored at %d", o.thread, o.expect, o.expect+1)
		}
	}
	var total int
	for thread, evs := range stored {
		total += len(evs)
		for seq, p := range evs {
			if !acked[thread+"\x00"+p] {
				t.Errorf("%s: event %q at %d was stored but no caller was told", thread, p, seq)
			}
		}
	}
	if total != wins {
		t.Errorf("%d events stored, %d appends acknowledged", total, wins)
	}
	if wins == 0 || losses == 0 {
		t.Errorf("%d appends won and %d lost: want some of each", wins, losses)
	}
	t.Logf("%d appends won, %d lost, over %d threads", wins, losses, len(stored))
}

// RunCancelled appends to n threads at once through l, every third
// append on a context cancelled before the call, and checks that each
// cancelled caller gets its context's error and stores nothing, and that
// every other append is stored: a caller that gave up fails no one else.
func RunCancelled(t *testing.T, l eventstore.Log, n int) {
	t.Helper()
	ctx := t.Context()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := ctx
			if i%3 == 0 {
				c = gone
			}
			_, errs[i] = l.Append(c, fmt.Sprintf("cancel-%d", i), 0, []byte(fmt.Sprint(i)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		thread := fmt.Sprintf("cancel-%d", i)
		last, lerr := l.LastSeq(ctx, thread)
		if lerr != nil {
			t.Fatalf("last seq of %s: %v", thread, lerr)
		}
		if i%3 == 0 {
			if !errors.Is(err, context.Canceled) || last != 0 {
				t.Errorf("%s: cancelled append returned %v and left the log at %d", thread, err, last)
			}
			continue
		}
		if err != nil || last != 1 {
			t.Errorf("%s: append returned %v and left the log at %d", thread, err, last)
		}
	}
}
