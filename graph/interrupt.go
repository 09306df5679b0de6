package graph

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"github.com/jetgraph/jetgraph/saver"
)

// InterruptInfo is an interrupt waiting for a resume value: the value a
// node passed to Interrupt.
type InterruptInfo struct {
	// ID names the interrupt for ResumeMap: one Interrupt call of one task,
	// "<task id>:interrupt:<k>" for the node's k-th call (from 0). It is
	// the same each time the node asks that question again (a Resume
	// without a value, a crash, a fork that keeps the checkpoint's id), and
	// a new one for the node's next call once this one is answered, so a
	// stale answer is refused. (Before, ID was the task id, shared by all
	// of a node's calls; ResumeMap still accepts a task id, see TaskID.)
	ID string
	// TaskID is the id of the task that raised it.
	TaskID string
	// Node is the node that raised it.
	Node string
	// Index is the number of the Interrupt call in the node's run: 0 for
	// its first.
	Index int
	// Value is the value passed to Interrupt, decoded without its Go type:
	// strings, bools, int64, uint64, float64, []any and map[string]any.
	// Use Decode for a typed value.
	Value any

	raw []byte
}

// Decode decodes the interrupt's value into dst, a pointer.
func (i InterruptInfo) Decode(dst any) error {
	dec, _, err := newDecoder(i.raw)
	if err == nil {
		err = dec.Decode(dst)
	}
	if err != nil {
		return fmt.Errorf("decode interrupt %s of node %q: %w", i.ID, i.Node, err)
	}
	return nil
}

// ResumeMap answers pending interrupts by id in ResumeWith (or
// WithResume): each key is an InterruptInfo.ID, each value the resume value
// for it (LangGraph's Command(resume={id: value})). It may answer one of
// several pending interrupts, the others staying pending, or several at
// once, including interrupts of parallel tasks of one step. A key may also
// be a task id (InterruptInfo.TaskID, the ID of earlier versions): it
// answers that task's pending interrupt.
type ResumeMap map[string]any

// Interrupt pauses the running node for input from outside the graph
// (LangGraph's interrupt(value)). The first time, it records value as an
// interrupt of the node's task and returns ErrInterrupted, which the node
// should return: the run stops, the step's other tasks keep their writes,
// and the caller sees the interrupt through GetState (Snapshot.Interrupts)
// or WithOutcome. ResumeWith then runs the node again from the top, and the
// k-th Interrupt call of the node returns the k-th resume value given to
// it, decoded into T. A node must make its Interrupt calls in the same order
// every time, one after another; Task calls before an interrupt are not
// repeated. Each call has a stable id, from the task id and the call's
// index (InterruptInfo.ID), by which ResumeMap answers it.
//
// value and the resume values must be msgpack-encodable. Interrupt needs a
// checkpointer (ErrNoCheckpointer otherwise), and fails with ErrOutsideNode
// outside a node.
func Interrupt[T any](ctx context.Context, value any) (T, error) {
	var zero T
	sc := scopeOf(ctx)
	if sc == nil {
		return zero, fmt.Errorf("graph.Interrupt: %w", ErrOutsideNode)
	}
	if sc.run.k.s == nil {
		return zero, fmt.Errorf("interrupt in node %q: %w", sc.node, ErrNoCheckpointer)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	idx := sc.interrupts
	sc.interrupts++
	if idx < len(sc.resume) {
		out := reflect.New(reflect.TypeFor[T]())
		dec, _, err := newDecoder(sc.resume[idx])
		if err == nil {
			err = dec.DecodeValue(out.Elem())
		}
		if err != nil {
			return zero, fmt.Errorf("interrupt %d of node %q: decode resume value into %v: %w", idx, sc.node, out.Elem().Type(), err)
		}
		return out.Elem().Interface().(T), nil
	}
	if sc.interrupt == nil {
		b, err := encodeValue(value)
		if err != nil {
			return zero, fmt.Errorf("interrupt %d of node %q: encode value: %w", idx, sc.node, err)
		}
		sc.interrupt = b
	}
	return zero, ErrInterrupted
}

// encodeValue encodes any value, nil included.
func encodeValue(v any) ([]byte, error) {
	return encodeAny(reflect.ValueOf(&v).Elem())
}

// interruptRecord is an interrupt as stored on saver.ChannelInterrupt: the
// index of the Interrupt call and its value. It is pending while the task
// has fewer resume values than that index: a task that was answered and
// then failed or crashed has no pending interrupt, though the write stays.
type interruptRecord struct {
	Index int    `msgpack:"i"`
	Value []byte `msgpack:"v"`
}

// interruptOf returns the value and call index of a task's pending
// interrupt, if any.
func interruptOf(pending []saver.PendingWrite, taskID string) ([]byte, int, bool) {
	for _, w := range pending {
		if w.TaskID != taskID || w.Channel != saver.ChannelInterrupt {
			continue
		}
		var rec interruptRecord
		dec, _, err := newDecoder(w.Value)
		if err == nil {
			err = dec.Decode(&rec)
		}
		if err != nil {
			return nil, 0, false
		}
		answered, err := resumesOf(pending, taskID)
		if err != nil || rec.Index < len(answered) {
			return nil, 0, false
		}
		return rec.Value, rec.Index, true
	}
	return nil, 0, false
}

// resumesOf returns the resume values recorded for a task, in order.
func resumesOf(pending []saver.PendingWrite, taskID string) ([][]byte, error) {
	for _, w := range pending {
		if w.TaskID == taskID && w.Channel == saver.ChannelResume {
			var out [][]byte
			dec, _, err := newDecoder(w.Value)
			if err == nil {
				err = dec.Decode(&out)
			}
			if err != nil {
				return nil, fmt.Errorf("task %s: decode resume values: %w", taskID, err)
			}
			return out, nil
		}
	}
	return nil, nil
}

// interruptID names the idx-th Interrupt call of a task.
func interruptID(taskID string, idx int) string {
	return taskID + ":interrupt:" + strconv.Itoa(idx)
}

// interruptInfo describes t's idx-th Interrupt call, which asked raw.
func interruptInfo(t *task, idx int, raw []byte) InterruptInfo {
	info := InterruptInfo{ID: interruptID(t.id, idx), TaskID: t.id, Node: t.name, Index: idx, raw: raw}
	if dec, _, err := newDecoder(raw); err == nil {
		_ = dec.Decode(&info.Value) // raw was encoded by encodeValue
	}
	return info
}

// resumeTargets answers the interrupts pending at p with value: it returns,
// per task, the task's resume values with the new one appended.
func (c *Graph[S]) resumeTargets(p *point, value any) (map[string][][]byte, error) {
	tasks, err := c.prepare(p)
	if err != nil {
		return nil, err
	}
	var waiting []InterruptInfo
	for _, t := range tasks {
		if _, done := writesOf(p.pending, t.id); done {
			continue
		}
		if raw, idx, ok := interruptOf(p.pending, t.id); ok {
			waiting = append(waiting, interruptInfo(t, idx, raw))
		}
	}
	if len(waiting) == 0 {
		return nil, ErrNotInterrupted
	}
	answers := map[string]any{} // by task id
	if m, ok := value.(ResumeMap); ok {
		for _, id := range slices.Sorted(maps.Keys(m)) {
			i := slices.IndexFunc(waiting, func(in InterruptInfo) bool { return in.ID == id || in.TaskID == id })
			if i < 0 {
				return nil, fmt.Errorf("resume map: no pending interrupt has id %q", id)
			}
			tid := waiting[i].TaskID
			if _, dup := answers[tid]; dup {
				return nil, fmt.Errorf("resume map: interrupt %s is answered twice (by its id and its task id)", waiting[i].ID)
			}
			answers[tid] = m[id]
		}
	} else {
		if len(waiting) > 1 {
			var ids bytes.Buffer
			for i, in := range waiting {
				if i > 0 {
					ids.WriteString(", ")
				}
				fmt.Fprintf(&ids, "%s (node %q)", in.ID, in.Node)
			}
			return nil, fmt.Errorf("%d interrupts are pending (%s): answer them by id with graph.ResumeMap", len(waiting), ids.String())
		}
		answers[waiting[0].TaskID] = value
	}
	out := map[string][][]byte{}
	for id, v := range answers {
		b, err := encodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("encode resume value for %s: %w", id, err)
		}
		prev, err := resumesOf(p.pending, id)
		if err != nil {
			return nil, err
		}
		out[id] = append(prev, b)
	}
	return out, nil
}

// interruptWrite records t's interrupt: the call after its answered ones.
func interruptWrite(t *task) []saver.Write {
	b, _ := encodeAny(reflect.ValueOf(interruptRecord{Index: len(t.resume), Value: t.interrupt})) // always encodes
	return []saver.Write{{Channel: saver.ChannelInterrupt, Value: b}}
}

func resumeWrite(values [][]byte) []saver.Write {
	b, _ := encodeAny(reflect.ValueOf(values)) // [][]byte always encodes
	return []saver.Write{{Channel: saver.ChannelResume, Value: b}}
}
