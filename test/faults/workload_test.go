package faults_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// workload writes loop checkpoints on many threads at once, each a child
// of its thread's last one, and remembers every write it saw acknowledged.
// A write that fails is sent again, the same checkpoint on the same parent,
// until it is acknowledged or the thread turns out to hold it already.
type workload struct {
	s       saver.Saver
	threads int
	putTime time.Duration // bounds one Put
	hangAt  time.Duration // a Put that takes this long counts as hung

	mu         sync.Mutex
	acked      map[string][]string // thread -> acknowledged checkpoint ids, in order
	n          int                 // acknowledged writes
	landed     int                 // failed writes found stored on retry
	errs       map[string]int      // failed Puts by kind
	lastAck    time.Time
	maxStall   time.Duration
	progress   chan struct{} // closed and replaced on every ack and error
	unexpected []string      // what a writer found that it cannot explain
	others     []string      // the first errors of no known kind, for the log

	cancel   context.CancelFunc // ends the writers' context
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// newWorkload writes on threads threads of s, each Put bounded by
// putTime; a Put that takes hangAt or longer counts as hung.
func newWorkload(s saver.Saver, threads int, putTime, hangAt time.Duration) *workload {
	return &workload{
		s: s, threads: threads, putTime: putTime, hangAt: hangAt,
		acked: map[string][]string{}, errs: map[string]int{},
		progress: make(chan struct{}), stop: make(chan struct{}),
	}
}

func threadName(i int) string { return fmt.Sprintf("faults-%03d", i) }

// start starts one writer per thread; ctx bounds them all.
func (w *workload) start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.mu.Lock()
	w.lastAck = time.Now()
	w.mu.Unlock()
	for i := range w.threads {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.write(ctx, threadName(i))
		}()
	}
}

// finish stops the writers once each has its last write settled, and
// waits for them, or fails t if they do not stop. After a failure it
// cancels the writes in flight instead.
func (w *workload) finish(t *testing.T) {
	t.Helper()
	if t.Failed() {
		w.cancel()
	}
	defer w.cancel()
	w.stopOnce.Do(func() { close(w.stop) })
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(2*w.hangAt + time.Minute)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Errorf("writers did not stop: a Put hangs")
	}
}

func (w *workload) write(ctx context.Context, thread string) {
	parent := saver.Config{ThreadID: thread}
	step := -1
	var cp *saver.Checkpoint // the write in flight, nil when settled
	retried := false
	for ctx.Err() == nil {
		if cp == nil {
			select {
			case <-w.stop:
				return
			default:
			}
			cp = &saver.Checkpoint{
				ID:              saver.NewCheckpointID(parent.CheckpointID),
				TS:              time.Now().UTC(),
				ChannelValues:   map[string][]byte{"step": fmt.Append(nil, step)},
				ChannelVersions: map[string]uint64{"step": uint64(step + 2)},
			}
			retried = false
		}
		src := saver.SourceLoop
		if step == -1 {
			src = saver.SourceInput
		}
		pctx, cancel := context.WithTimeout(ctx, w.putTime)
		began := time.Now()
		cfg, err := w.s.Put(pctx, saver.PutOp{Config: parent, Checkpoint: *cp, Metadata: saver.Metadata{Source: src, Step: step}, NewVersions: map[string]uint64{"step": uint64(step + 2)}})
		hung := time.Since(began) >= w.hangAt
		cancel()
		if err == nil {
			w.ack(thread, cfg.CheckpointID, false)
			parent, cp, step = cfg, nil, step+1
			continue
		}
		if ctx.Err() != nil {
			return
		}
		w.fail(err, hung)
		if retried && errors.Is(err, saver.ErrConflict) {
			// An earlier attempt may have been stored without its answer.
			hctx, cancel := context.WithTimeout(ctx, w.putTime)
			head, herr := w.s.GetTuple(hctx, saver.Config{ThreadID: thread})
			cancel()
			switch {
			case herr != nil:
				// ask again after the next attempt
			case head.Config.CheckpointID == cp.ID:
				w.ack(thread, cp.ID, true)
				parent, cp, step = head.Config, nil, step+1
				continue
			default:
				w.mu.Lock()
				w.unexpected = append(w.unexpected, fmt.Sprintf("%s: head %s is neither %s nor its parent %s", thread, head.Config.CheckpointID, cp.ID, parent.CheckpointID))
				w.mu.Unlock()
				return
			}
		}
		retried = true
		pause(ctx, 20*time.Millisecond)
	}
}

// pause waits d between retries: nothing signals that a server is back.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (w *workload) ack(thread, id string, late bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	w.maxStall = max(w.maxStall, now.Sub(w.lastAck))
	w.lastAck = now
	if late {
		// the client never saw this one acknowledged; it must be there
		// all the same, since it read it back
		w.landed++
	} else {
		w.n++
	}
	w.acked[thread] = append(w.acked[thread], id)
	w.notify()
}

func (w *workload) fail(err error, hung bool) {
	kind := "other"
	switch {
	case hung:
		kind = "hung"
	case errors.Is(err, saver.ErrConflict):
		kind = "conflict"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout"):
		kind = "timeout"
	case strings.Contains(err.Error(), "no response"), strings.Contains(err.Error(), "no responders"):
		kind = "no_response"
	case strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "connection refused"),
		strings.Contains(err.Error(), "failed to connect"), strings.Contains(err.Error(), "conn closed"),
		strings.Contains(err.Error(), "unexpected EOF"), strings.Contains(err.Error(), "terminating connection"):
		kind = "connection"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs[kind]++
	if kind == "other" && w.errs[kind] <= 5 {
		w.others = append(w.others, err.Error())
	}
	w.notify()
}

// notify wakes waiters; w.mu must be held.
func (w *workload) notify() {
	close(w.progress)
	w.progress = make(chan struct{})
}

// waitFor waits until cond holds (it is called with w.mu held) or ctx ends.
func (w *workload) waitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		w.mu.Lock()
		ok, ch := cond(), w.progress
		w.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-ch:
		}
	}
}

// waitAcks waits for n more acknowledged writes.
func (w *workload) waitAcks(ctx context.Context, n int) error {
	w.mu.Lock()
	target := w.n + n
	w.mu.Unlock()
	return w.waitFor(ctx, fmt.Sprintf("%d acknowledged writes", n), func() bool { return w.n >= target })
}

// waitErrors waits for n more failed writes.
func (w *workload) waitErrors(ctx context.Context, n int) error {
	w.mu.Lock()
	target := w.failed() + n
	w.mu.Unlock()
	return w.waitFor(ctx, fmt.Sprintf("%d failed writes", n), func() bool { return w.failed() >= target })
}

// failed counts failed Puts; w.mu must be held.
func (w *workload) failed() int {
	n := 0
	for _, c := range w.errs {
		n += c
	}
	return n
}

// resetStall starts measuring the longest gap between acknowledged writes
// from now.
func (w *workload) resetStall() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastAck, w.maxStall = time.Now(), 0
}

// verdict is what reading every thread back found.
type verdict struct {
	acked      int // acknowledged writes
	stored     int // checkpoints stored
	lost       int // acknowledged but not stored
	duplicates int // a checkpoint listed twice, or two children of one parent
	dupEvents  int // events stored again, byte for byte, by a retried Put
	gaps       int // a checkpoint whose parent is not the one before it
	problems   []string
}

// verify reads every thread back from s (a saver opened after the faults,
// with nothing cached) and checks it against what was acknowledged. repeats,
// when not nil, lists a thread's stored events that repeat an earlier one.
func (w *workload) verify(ctx context.Context, s saver.Saver, repeats func(ctx context.Context, thread string) ([]string, error)) verdict {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := verdict{acked: w.n + w.landed, problems: append([]string(nil), w.unexpected...)}
	note := func(format string, args ...any) {
		if len(v.problems) < 20 {
			v.problems = append(v.problems, fmt.Sprintf(format, args...))
		}
	}
	for i := range w.threads {
		thread := threadName(i)
		var line []*saver.Tuple // newest first
		for tu, err := range s.List(ctx, saver.ListParams{ThreadID: thread}) {
			if err != nil {
				note("%s: list: %v", thread, err)
				break
			}
			line = append(line, tu)
		}
		v.stored += len(line)
		pos := map[string]int{}
		children := map[string]int{}
		for j, tu := range line {
			id := tu.Config.CheckpointID
			if _, ok := pos[id]; ok {
				v.duplicates++
				note("%s: checkpoint %s listed twice", thread, id)
			}
			pos[id] = j
			p := ""
			if tu.ParentConfig != nil {
				p = tu.ParentConfig.CheckpointID
			}
			if children[p]++; children[p] > 1 {
				v.duplicates++
				note("%s: parent %q has %d children", thread, p, children[p])
			}
			want := ""
			if j+1 < len(line) {
				want = line[j+1].Config.CheckpointID
			}
			if p != want {
				v.gaps++
				note("%s: checkpoint %s has parent %q, the one before it is %q", thread, id, p, want)
			}
		}
		last := len(line)
		for _, id := range w.acked[thread] {
			j, ok := pos[id]
			switch {
			case !ok:
				v.lost++
				note("%s: acknowledged checkpoint %s is not stored", thread, id)
			case j >= last:
				v.gaps++
				note("%s: acknowledged checkpoint %s is out of order", thread, id)
			default:
				last = j
			}
		}
		if repeats != nil {
			r, err := repeats(ctx, thread)
			if err != nil {
				note("%s: events: %v", thread, err)
			}
			if len(r) > 0 {
				v.dupEvents += len(r)
				note("%s: events stored twice (by sequence): %v", thread, r)
			}
		}
	}
	return v
}

// check fails t for anything verify found.
func (v verdict) check(t *testing.T) {
	t.Helper()
	for _, p := range v.problems {
		t.Error(p)
	}
	if v.lost != 0 || v.duplicates != 0 || v.gaps != 0 {
		t.Errorf("lost=%d duplicates=%d gaps=%d of %d acknowledged writes", v.lost, v.duplicates, v.gaps, v.acked)
	}
	if v.dupEvents != 0 {
		// A Put sent again after an error whose first attempt had landed
		// without an answer: the append is refused as a conflict (on
		// JetStream the expected-sequence check comes before the
		// Nats-Msg-Id dedupe, and eventlog.Append looks for its own landed
		// message only from its second attempt), the store re-reads the
		// log, finds the checkpoint already on its parent, plans it again
		// (event.Thread.PlanPut lets a checkpoint with the same id
		// continue the same parent) and appends it at the new expected
		// sequence, under a new Nats-Msg-Id. The fold hides the repeat;
		// the log holds the event twice.
		t.Errorf("%d events stored twice: a retried Put appended its checkpoint again", v.dupEvents)
	}
}

// errCounts formats the failed Puts by kind.
func (w *workload) errCounts() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("timeouts=%d no_response=%d connection_errors=%d conflicts=%d other_errors=%d hung=%d",
		w.errs["timeout"], w.errs["no_response"], w.errs["connection"], w.errs["conflict"], w.errs["other"], w.errs["hung"])
}

// checkNoHang fails t if a Put ran into its own deadline instead of
// returning an error sooner.
func (w *workload) checkNoHang(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.errs["hung"]; n > 0 {
		t.Errorf("%d Puts took %v or longer", n, w.hangAt)
	}
}

// repeatedEvents returns a function listing a thread's stored events that
// repeat an earlier event's payload byte for byte, by sequence.
func repeatedEvents(log eventstore.Log) func(ctx context.Context, thread string) ([]string, error) {
	return func(ctx context.Context, thread string) ([]string, error) {
		first := map[[32]byte]uint64{}
		var repeats []string
		for ev, err := range log.Read(ctx, thread, 0) {
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(ev.Payload)
			if seq, ok := first[sum]; ok {
				repeats = append(repeats, fmt.Sprintf("%d repeats %d", ev.Seq, seq))
				continue
			}
			first[sum] = ev.Seq
		}
		return repeats, nil
	}
}

// failedCount counts failed Puts so far.
func (w *workload) failedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed()
}
