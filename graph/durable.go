package graph

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/jetgraph/jetgraph/saver"
)

// scope is what a running node's context carries: its task id, the results
// of Task calls recorded by earlier attempts, and the zero writes it asked
// for.
type scope struct {
	taskID   string
	node     string
	cfg      saver.Config
	run      *run
	recorded map[string][]byte

	resume [][]byte // resume values for the node's Interrupt calls

	mu         sync.Mutex
	calls      int
	zero       map[string]bool
	interrupts int    // Interrupt calls so far
	interrupt  []byte // the value of the first unanswered Interrupt call
}

// pendingInterrupt returns the value of the Interrupt call that stopped the
// node, if any.
func (s *scope) pendingInterrupt() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interrupt
}

type scopeKey struct{}

func scopeOf(ctx context.Context) *scope {
	s, _ := ctx.Value(scopeKey{}).(*scope)
	return s
}

// taskRecord is a Task's outcome as stored in a pending write.
type taskRecord struct {
	Name   string `msgpack:"n"`
	Result []byte `msgpack:"r,omitempty"`
	Err    string `msgpack:"e,omitempty"`
	Failed bool   `msgpack:"f,omitempty"`
}

// Task runs fn durably inside a node: its result (or error) is recorded as a
// pending write of the node's task. When it is stored depends on the run's
// Durability: in sync mode before Task returns; in async mode in the
// background, soon after (the call that ran the node returns only once it
// is stored); in exit mode when the run ends. When the node runs again from
// the same checkpoint (Resume after a crash or a failure later in the
// node), Task returns the stored outcome instead of calling fn: a Task
// whose outcome was stored never runs again. fn never runs on a state the
// thread did not have (see Durability). Calls
// are identified by the node's task id and their index, so a node must make
// its Task calls in the same order every time, one after another. A call
// that started but was not recorded runs again: fn's effects should be
// idempotent, or fn should check first whether its effect already happened
// (ExampleTask_checkFirst; the package documentation's durability table
// says when a record can be lost). T must be msgpack-encodable.
//
// Outside a node, or in a graph without a checkpointer, Task just calls fn.
func Task[T any](ctx context.Context, name string, fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	sc := scopeOf(ctx)
	if sc == nil || sc.run.k.s == nil {
		return fn(ctx)
	}
	sc.mu.Lock()
	idx := sc.calls
	sc.calls++
	sc.mu.Unlock()
	id := fmt.Sprintf("%s:task:%d", sc.taskID, idx)
	if b, ok := sc.recorded[id]; ok {
		var rec taskRecord
		dec, _, err := newDecoder(b)
		if err == nil {
			err = dec.Decode(&rec)
		}
		if err != nil {
			return zero, fmt.Errorf("task %q (%s): decode recorded result: %w", name, id, err)
		}
		if rec.Name != name {
			return zero, fmt.Errorf("task call %d of node %q was %q when recorded, is %q now: calls must keep their order", idx, sc.node, rec.Name, name)
		}
		if rec.Failed {
			return zero, errors.New(rec.Err)
		}
		out := reflect.New(reflect.TypeFor[T]())
		dec, _, err = newDecoder(rec.Result)
		if err == nil {
			err = dec.DecodeValue(out.Elem())
		}
		if err != nil {
			return zero, fmt.Errorf("task %q (%s): decode recorded result: %w", name, id, err)
		}
		return out.Elem().Interface().(T), nil
	}
	res, ferr := fn(ctx)
	if ferr != nil && ctx.Err() != nil {
		return res, ferr // cancelled: nothing to record
	}
	rec := taskRecord{Name: name}
	if ferr != nil {
		rec.Failed, rec.Err = true, ferr.Error()
	} else {
		b, err := encodeAny(reflect.ValueOf(&res).Elem())
		if err != nil {
			return zero, fmt.Errorf("task %q: encode result: %w", name, err)
		}
		rec.Result = b
	}
	b, err := encodeAny(reflect.ValueOf(rec))
	if err != nil {
		return zero, fmt.Errorf("task %q: %w", name, err)
	}
	if err := sc.run.k.commit(ctx, writesOp(sc.cfg, id, []saver.Write{{Channel: taskChannel, Value: b}})); err != nil {
		return zero, fmt.Errorf("task %q: record result: %w", name, err)
	}
	return res, ferr
}

// WriteZero makes the running node write the zero value of the named
// channels, which a partial update cannot express (a zero field means "no
// write"). Outside a node it does nothing.
func WriteZero(ctx context.Context, channels ...string) {
	sc := scopeOf(ctx)
	if sc == nil {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.zero == nil {
		sc.zero = map[string]bool{}
	}
	for _, ch := range channels {
		sc.zero[ch] = true
	}
}

// recordedResults collects the Task results recorded for a node's task.
func recordedResults(pending []saver.PendingWrite, taskID string) map[string][]byte {
	var out map[string][]byte
	prefix := taskID + ":task:"
	for _, w := range pending {
		if w.Channel == taskChannel && len(w.TaskID) > len(prefix) && w.TaskID[:len(prefix)] == prefix {
			if out == nil {
				out = map[string][]byte{}
			}
			out[w.TaskID] = w.Value
		}
	}
	return out
}
