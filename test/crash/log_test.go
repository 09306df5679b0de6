package crash

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// eventReader reads a thread's stored events: eventstore.Log, or the
// JetStream saver's eventlog.Log.
type eventReader interface {
	Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error]
}

// taskChannel is the channel graph.Task records its outcomes on.
const taskChannel = "__task__"

// taskRecord is graph.Task's recorded outcome, as graph stores it.
type taskRecord struct {
	Name   string `msgpack:"n"`
	Result []byte `msgpack:"r,omitempty"`
	Err    string `msgpack:"e,omitempty"`
	Failed bool   `msgpack:"f,omitempty"`
}

// checkpointFact is one checkpoint record of the log.
type checkpointFact struct {
	id, parent, source string
	step               int
	seq                uint64
}

// taskFact is one recorded Task outcome.
type taskFact struct {
	checkpoint, callID, name, marker string
	seq                              uint64
}

// threadLog is what the checks need from a thread's log.
type threadLog struct {
	events      int
	checkpoints []checkpointFact // in log order
	byID        map[string]checkpointFact
	head        string // the thread's latest checkpoint, as the fold sees it
	tasks       []taskFact
	// nodeWrites counts, per checkpoint and task id, the write records
	// that carry a node's result (not a Task outcome, an interrupt, a
	// resume value or an error).
	nodeWrites map[[2]string]int
	// leases counts the lease records (claims, renewals, releases).
	leases int
}

// readLog reads and decodes every event of the thread.
func readLog(ctx context.Context, r eventReader, thread string) (*threadLog, error) {
	l := &threadLog{byID: map[string]checkpointFact{}, nodeWrites: map[[2]string]int{}}
	var evs []event.Event
	for ev, err := range r.Read(ctx, thread, 0) {
		if err != nil {
			return nil, fmt.Errorf("read thread %q: %w", thread, err)
		}
		evs = append(evs, ev)
		recs, err := event.Decode(ev.Payload)
		if err != nil {
			return nil, fmt.Errorf("thread %q event %d: %w", thread, ev.Seq, err)
		}
		for _, rec := range recs {
			switch rec.Kind {
			case event.KindCheckpoint:
				l.checkpoint(ev.Seq, rec.Checkpoint)
			case event.KindLease:
				l.leases++
			case event.KindWrites:
				if err := l.writes(ev.Seq, rec.Writes.CheckpointID, rec.Writes.Writes); err != nil {
					return nil, fmt.Errorf("thread %q event %d: %w", thread, ev.Seq, err)
				}
			case event.KindSeed:
				for _, e := range rec.Seed.Entries {
					l.checkpoint(ev.Seq, &e.Checkpoint)
					if err := l.writes(ev.Seq, e.Checkpoint.ID, e.Writes); err != nil {
						return nil, fmt.Errorf("thread %q event %d: %w", thread, ev.Seq, err)
					}
				}
			}
		}
	}
	l.events = len(evs)
	t, err := event.FoldAll(thread, evs)
	if err != nil {
		return nil, err
	}
	if ref, ok := t.Latest(""); ok {
		l.head = ref.ID
	}
	return l, nil
}

func (l *threadLog) checkpoint(seq uint64, c *event.CheckpointRecord) {
	f := checkpointFact{id: c.ID, parent: c.ParentID, source: c.Metadata.Source, step: c.Metadata.Step, seq: seq}
	l.checkpoints = append(l.checkpoints, f)
	if _, ok := l.byID[c.ID]; !ok {
		l.byID[c.ID] = f
	}
}

func (l *threadLog) writes(seq uint64, checkpoint string, ws []event.WriteRecord) error {
	counted := map[string]bool{}
	for _, w := range ws {
		switch w.Channel {
		case taskChannel:
			var rec taskRecord
			if err := msgpack.Unmarshal(w.Value, &rec); err != nil {
				return fmt.Errorf("task write %s: %w", w.TaskID, err)
			}
			var marker string
			if !rec.Failed {
				if err := msgpack.Unmarshal(rec.Result, &marker); err != nil {
					return fmt.Errorf("task write %s: result: %w", w.TaskID, err)
				}
			}
			l.tasks = append(l.tasks, taskFact{checkpoint: checkpoint, callID: w.TaskID, name: rec.Name, marker: marker, seq: seq})
		case saver.ChannelInterrupt, saver.ChannelResume, saver.ChannelError:
		default:
			if !counted[w.TaskID] { // one record holds all of a task's writes
				counted[w.TaskID] = true
				l.nodeWrites[[2]string{checkpoint, w.TaskID}]++
			}
		}
	}
	return nil
}

// line returns the checkpoints from the thread's first to its head,
// following parents.
func (l *threadLog) line() ([]checkpointFact, error) {
	var out []checkpointFact
	seen := map[string]bool{}
	for id := l.head; id != ""; {
		f, ok := l.byID[id]
		if !ok {
			return nil, fmt.Errorf("checkpoint %s: not in the log", id)
		}
		if seen[id] {
			return nil, fmt.Errorf("checkpoint %s: parent cycle", id)
		}
		seen[id] = true
		out = append(out, f)
		id = f.parent
	}
	slices.Reverse(out)
	return out, nil
}
