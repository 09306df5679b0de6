package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// maxBatchBytes caps the values (the checkpoint channel values a Put
// changes, and write values) of the operations the async writer and exit
// mode join into one append: joining steps saves appends, but must not make
// an append the store refuses as too large when the steps alone fit.
const maxBatchBytes = 256 << 10

// committer stores a run's operations in the order the run makes them, and
// holds the run's lease on the thread (saver.LeaseOp) on a saver.Committer.
//
// Operations come in units: those of one commit call (a step's writes and
// checkpoint, one task's writes, a Task's record), with the operations later
// queued before it. A unit is never split over two appends; several units
// may be joined into one, up to maxBatchBytes, their order kept.
//
// When units are stored depends on the durability mode. DurabilitySync
// stores a unit when commit is called. DurabilityAsync stores the run's
// first unit when flush is first called, before any node runs, and waits
// for it; later units go to one background writer that stores them in
// order, joining what queued up while it wrote. DurabilityExit keeps
// everything until finish. flush also stores what later queued (sync) or
// hands it to the writer (async). finish must be called before the run
// returns: it stores what is left, in an append that releases the lease,
// waits for the writer, and reports the first error any write met, so no
// error is dropped.
//
// With a lease, every append of the run carries a saver.LeaseOp: the first
// claims the thread, the others renew the claim, the last releases it. A run
// that stores nothing for a third of the lease renews it from a timer.
type committer struct {
	s      saver.Saver
	c      saver.Committer
	mode   Durability
	thread string
	ns     string
	runID  string
	// lease is how long a claim lasts; 0 means no lease ops (the saver is
	// not a saver.Committer).
	lease time.Duration
	// claimIfLatest, when set, is the checkpoint the run read as the head
	// and builds on without a Put (a resume): the claim requires it.
	claimIfLatest string
	// released is called after the run released the thread.
	released func()

	mu      sync.Mutex
	pending []saver.Op   // queued by later: they join the next unit
	units   [][]saver.Op // async and exit: units not handed to the store yet
	first   bool         // async: the first unit was stored; the writer takes the rest
	busy    bool         // a writer goroutine is running
	idle    chan struct{}
	err     error // the first write error; nothing more is written after it
	done    bool  // finish began: no more renewals
	timer   *time.Timer
	renewal sync.WaitGroup
	bg      context.Context // the run's context without cancellation, for renewals

	smu        sync.Mutex // serializes appends; guards the fields below
	claimed    bool       // an append of the run was stored (holding the lease, if any)
	free       bool       // the lease was released
	staleFirst bool
	busyFirst  *saver.BusyError
	stored     Config // the last checkpoint the run stored
}

// refusedAsStale reports whether the run's own first append was refused
// because the checkpoint it built on was no longer the latest: then nothing
// of the run is stored.
func (k *committer) refusedAsStale() bool {
	k.smu.Lock()
	defer k.smu.Unlock()
	return k.staleFirst
}

// refusedAsBusy returns the *saver.BusyError that refused the run's first
// append: another run holds the thread and nothing of this run is stored.
func (k *committer) refusedAsBusy() *saver.BusyError {
	k.smu.Lock()
	defer k.smu.Unlock()
	return k.busyFirst
}

// later queues op for the next unit.
func (k *committer) later(ops ...saver.Op) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending = append(k.pending, ops...)
}

// commit makes the queued operations and ops a unit and stores it (sync),
// hands it to the writer (async, once the first unit is stored) or keeps
// it. It returns the error of an earlier write, so a run stops at the first
// failure.
func (k *committer) commit(ctx context.Context, ops ...saver.Op) error {
	k.mu.Lock()
	if k.s == nil {
		k.pending = nil
		k.mu.Unlock()
		return nil
	}
	if k.err != nil {
		defer k.mu.Unlock()
		return k.err
	}
	unit := append(k.pending, ops...)
	k.pending = nil
	if len(unit) == 0 {
		k.mu.Unlock()
		return nil
	}
	if k.mode != DurabilitySync {
		defer k.mu.Unlock()
		k.units = append(k.units, unit)
		if k.mode == DurabilityAsync && k.first {
			k.startWriter(ctx)
		}
		return nil
	}
	k.mu.Unlock()
	return k.store(ctx, [][]saver.Op{unit}, false)
}

// flush is called before nodes run and before a step is shown to a
// stream: what later queued becomes a unit. In sync mode it stores it; in
// async mode it stores the run's first unit, and the lease claim, and
// waits for them, then hands what later queued to the writer. So in both
// modes a node runs only once the run's input is stored and the run holds
// the thread. In exit mode the unit waits for finish.
func (k *committer) flush(ctx context.Context) error {
	k.mu.Lock()
	if k.s == nil {
		k.mu.Unlock()
		return nil
	}
	if k.err != nil {
		defer k.mu.Unlock()
		return k.err
	}
	if len(k.pending) > 0 {
		k.units = append(k.units, k.pending)
		k.pending = nil
	}
	if k.mode == DurabilityExit || (k.mode == DurabilityAsync && k.first) {
		defer k.mu.Unlock()
		if k.mode == DurabilityAsync {
			k.startWriter(ctx)
		}
		return nil
	}
	units := k.units
	k.units = nil
	k.first = true
	k.mu.Unlock()
	k.smu.Lock()
	claim := k.lease > 0 && !k.claimed
	k.smu.Unlock()
	if len(units) == 0 && !claim {
		return nil
	}
	return k.store(ctx, units, false)
}

// startWriter starts the async writer unless it runs. k.mu must be held.
func (k *committer) startWriter(ctx context.Context) {
	if !k.busy && len(k.units) > 0 {
		k.busy, k.idle = true, make(chan struct{})
		dctx, cancel := detached(ctx)
		go func() {
			defer cancel()
			k.drain(dctx)
		}()
	}
}

// detached returns ctx without its cancellation but with its deadline: a
// run's writes are stored even when the run was cancelled (the steps they
// hold finished before), but a call never outlasts its caller's deadline
// waiting for a server that went away.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(d, dl)
	}
	return d, func() {}
}

// drain is the async writer: it stores what is queued, in order, joining
// what queued up while it was writing, until the queue is empty or a write
// fails. It writes without the run's cancellation: the steps it stores
// finished before the run was cancelled.
func (k *committer) drain(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for len(k.units) > 0 && k.err == nil {
		units := k.units
		k.units = nil
		k.mu.Unlock()
		_ = k.store(ctx, units, false) // an error lands in k.err
		k.mu.Lock()
	}
	k.units = nil
	k.busy = false
	close(k.idle)
}

// finish ends the run's writing: it waits for the writer, then stores what
// is left (even when the run was cancelled: those steps finished), the last
// append releasing the lease. It returns the first write error.
func (k *committer) finish(ctx context.Context) error {
	k.mu.Lock()
	if k.s == nil {
		k.mu.Unlock()
		return nil
	}
	k.done = true
	if k.timer != nil {
		k.timer.Stop()
	}
	idle, wait := k.idle, k.busy
	k.mu.Unlock()
	k.renewal.Wait()
	if wait {
		<-idle
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	k.mu.Lock()
	units := k.units
	if len(k.pending) > 0 {
		units = append(units, k.pending)
	}
	k.units, k.pending = nil, nil
	err := k.err
	k.mu.Unlock()
	if err == nil {
		err = k.store(ctx, units, true)
	}
	if err != nil {
		// What failed is not stored, nor the release that came with it:
		// let other runs go on now, not when the lease lapses.
		k.release(ctx)
	}
	return err
}

// release frees the thread after a failed write, if the run holds it.
func (k *committer) release(ctx context.Context) {
	k.smu.Lock()
	defer k.smu.Unlock()
	if k.lease > 0 && k.claimed && !k.free {
		_ = k.storeBatch(ctx, nil, true)
	}
}

// probe reports whether another run holds the thread, by storing a lease
// op that releases it if no run does. It returns the *saver.BusyError that
// refused it, or nil. Without leases it returns nil.
func (k *committer) probe(ctx context.Context) error {
	k.smu.Lock()
	defer k.smu.Unlock()
	if k.lease == 0 || k.c == nil || k.claimed {
		return nil
	}
	err := k.storeBatch(ctx, nil, true)
	var busy *saver.BusyError
	if errors.As(err, &busy) {
		k.busyFirst = busy
		return err
	}
	k.claimed, k.free, k.busyFirst = false, false, nil // it claimed nothing
	return nil
}

// renew stores a lease op alone, for a run that stored nothing for a
// third of its lease.
func (k *committer) renew() {
	k.mu.Lock()
	if k.done || k.err != nil {
		k.mu.Unlock()
		return
	}
	k.renewal.Add(1)
	k.mu.Unlock()
	defer k.renewal.Done()
	_ = k.store(k.bg, nil, false)
}

// store stores units, joined into as few appends as maxBatchBytes allows;
// final makes the last append release the lease (an append of the lease
// op alone when nothing else is left). With no units and a lease not yet
// claimed or to be renewed, it stores the lease op alone. A failure is
// kept in k.err and returned; a conflict after the run stored something is
// a *ConflictError.
func (k *committer) store(ctx context.Context, units [][]saver.Op, final bool) error {
	k.smu.Lock()
	defer k.smu.Unlock()
	k.mu.Lock()
	err := k.err
	k.mu.Unlock()
	if err != nil {
		return err
	}
	batches := joinUnits(units)
	if len(batches) == 0 && k.lease > 0 && k.c != nil && !k.free && (!final || k.claimed) {
		batches = [][]saver.Op{nil} // claim or renew (not final), release (final)
	}
	for i, b := range batches {
		if err := k.storeBatch(ctx, b, final && i == len(batches)-1); err != nil {
			err = k.describe(err, b)
			k.mu.Lock()
			if k.err == nil {
				k.err = err
			}
			k.mu.Unlock()
			return err
		}
	}
	if k.lease > 0 && k.c != nil && k.claimed && !k.free && !final && k.mode != DurabilityExit {
		k.mu.Lock()
		if !k.done {
			if k.timer == nil {
				k.bg = context.WithoutCancel(ctx)
				k.timer = time.AfterFunc(k.lease/3, k.renew)
			} else {
				k.timer.Reset(k.lease / 3)
			}
		}
		k.mu.Unlock()
	}
	return nil
}

// describe makes a conflict met after the run stored something a
// *ConflictError, and says which channel's value made ops too large for
// the store. k.smu must be held.
func (k *committer) describe(err error, ops []saver.Op) error {
	if errors.Is(err, saver.ErrTooLarge) {
		return tooLarge(err, ops)
	}
	if !k.claimed || !errors.Is(err, saver.ErrConflict) {
		return err
	}
	return &ConflictError{ThreadID: k.thread, RunID: k.runID, Stored: k.stored, Err: err}
}

// tooLarge adds to an error matching saver.ErrTooLarge the largest value
// ops hold: its channel, its size and what holds it, so that the caller
// knows which part of the state to shrink or keep elsewhere.
func tooLarge(err error, ops []saver.Op) error {
	var channel, where string
	size, total := -1, 0
	see := func(ch string, n int, in string) {
		total += n
		if n > size {
			channel, size, where = ch, n, in
		}
	}
	for _, op := range ops {
		switch {
		case op.Put != nil:
			for ch := range op.Put.NewVersions {
				see(ch, len(op.Put.Checkpoint.ChannelValues[ch]), "checkpoint "+op.Put.Checkpoint.ID)
			}
		case op.Writes != nil:
			for _, w := range op.Writes.Writes {
				see(w.Channel, len(w.Value), "a write of task "+op.Writes.TaskID)
			}
		}
	}
	if size < 0 {
		return err
	}
	return fmt.Errorf("channel %q holds %d bytes (in %s; %d bytes of values in all): %w", channel, size, where, total, err)
}

// storeBatch stores one append; release makes its lease op release the
// thread. k.smu must be held.
func (k *committer) storeBatch(ctx context.Context, ops []saver.Op, release bool) error {
	if k.c == nil {
		for _, op := range ops {
			var err error
			if op.Put != nil {
				_, err = k.s.Put(ctx, saver.PutOp{Config: op.Put.Config, Checkpoint: op.Put.Checkpoint, Metadata: op.Put.Metadata, NewVersions: op.Put.NewVersions})
			} else {
				err = k.s.PutWrites(ctx, saver.WritesOp{Config: op.Writes.Config, Writes: op.Writes.Writes, TaskID: op.Writes.TaskID})
			}
			if err != nil {
				k.failed(err)
				return err
			}
			k.succeeded([]saver.Op{op}, false)
		}
		return nil
	}
	if k.lease > 0 {
		l := &saver.LeaseOp{ThreadID: k.thread, RunID: k.runID, CheckpointNS: k.ns}
		if !release {
			l.Until = time.Now().Add(k.lease)
		}
		if !k.claimed {
			l.IfLatest = k.claimIfLatest
		}
		ops = append([]saver.Op{{Lease: l}}, ops...)
	}
	if _, err := k.c.Commit(ctx, ops); err != nil {
		k.failed(err)
		return err
	}
	k.succeeded(ops, release)
	return nil
}

// failed records what a refused first append says. k.smu must be held.
func (k *committer) failed(err error) {
	if k.claimed {
		return
	}
	var busy *saver.BusyError
	switch {
	case errors.As(err, &busy):
		k.busyFirst = busy
	case errors.Is(err, saver.ErrStale):
		k.staleFirst = true
	}
}

// succeeded records a stored append. k.smu must be held.
func (k *committer) succeeded(ops []saver.Op, release bool) {
	k.claimed = true
	for _, op := range ops {
		if op.Put != nil {
			k.stored = Config{ThreadID: k.thread, CheckpointNS: k.ns, CheckpointID: op.Put.Checkpoint.ID}
		}
	}
	if release && k.lease > 0 {
		k.free = true
		if k.released != nil {
			k.released()
		}
	}
}

// joinUnits joins consecutive units into batches of at most maxBatchBytes
// of values; a unit larger than that is a batch of its own.
func joinUnits(units [][]saver.Op) [][]saver.Op {
	var out [][]saver.Op
	var cur []saver.Op
	size := 0
	for _, u := range units {
		if len(u) == 0 {
			continue
		}
		n := unitBytes(u)
		if len(cur) > 0 && size+n > maxBatchBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, u...)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// unitBytes is the size of the values ops store: the channel values each
// Put changes and the write values.
func unitBytes(ops []saver.Op) int {
	n := 0
	for _, op := range ops {
		if op.Put != nil {
			for ch := range op.Put.NewVersions {
				n += len(op.Put.Checkpoint.ChannelValues[ch])
			}
		}
		if op.Writes != nil {
			for _, w := range op.Writes.Writes {
				n += len(w.Value)
			}
		}
	}
	return n
}

func writesOp(cfg saver.Config, taskID string, writes []saver.Write) saver.Op {
	return saver.Op{Writes: &saver.WritesOp{Config: cfg, TaskID: taskID, Writes: writes}}
}

func errorWrite(err error) []saver.Write {
	return []saver.Write{{Channel: saver.ChannelError, Value: encodeString(err.Error())}}
}

func wrapCommit(thread string, step int, err error) error {
	return fmt.Errorf("thread %q: save step %d: %w", thread, step, err)
}
