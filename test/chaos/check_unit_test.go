package chaos

import (
	"fmt"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// fakeLog builds a thread's events record by record, as a saver stores
// them, for the checker's own tests.
type fakeLog struct {
	t   *testing.T
	evs []event.Event
}

func (l *fakeLog) append(recs ...event.Record) {
	l.t.Helper()
	b, err := event.Encode(recs)
	if err != nil {
		l.t.Fatal(err)
	}
	l.evs = append(l.evs, event.Event{Seq: uint64(len(l.evs) + 1), Payload: b})
}

// put appends a checkpoint of the given step on parent and returns its id.
func (l *fakeLog) put(parent string, step int) string {
	id := saver.NewCheckpointID(parent)
	src := string(saver.SourceLoop)
	if step == -1 {
		src = string(saver.SourceInput)
	}
	l.append(event.Record{Kind: event.KindCheckpoint, V: 1, Checkpoint: &event.CheckpointRecord{
		ID: id, ParentID: parent, TS: int64(len(l.evs) + 1), Versions: event.Versions{"v": uint64(step + 2)},
		Metadata: event.MetadataRecord{Source: src, Step: step},
		Values:   []event.ChannelDelta{{Channel: "v", Op: event.OpSet, Data: fmt.Appendf(nil, "%d", step)}},
	}})
	return id
}

// nodeWrites appends a task's node writes on a checkpoint.
func (l *fakeLog) nodeWrites(checkpoint, task string) {
	l.append(event.Record{Kind: event.KindWrites, V: 1, Writes: &event.WritesRecord{CheckpointID: checkpoint,
		Writes: []event.WriteRecord{{TaskID: task, Channel: "v", Value: []byte("x")}}}})
}

// taskOutcome appends a recorded graph.Task outcome on a checkpoint.
func (l *fakeLog) taskOutcome(checkpoint, call, name string) {
	l.t.Helper()
	result, _ := msgpack.Marshal(true)
	b, err := msgpack.Marshal(taskRecord{Name: name, Result: result})
	if err != nil {
		l.t.Fatal(err)
	}
	l.append(event.Record{Kind: event.KindWrites, V: 1, Writes: &event.WritesRecord{CheckpointID: checkpoint,
		Writes: []event.WriteRecord{{TaskID: call, Idx: -1, Channel: taskChannel, Value: b}}}})
}

// TestCheckerCatches feeds checkLog a good log and logs with a lost step, a
// duplicated step, node writes stored twice, a line that breaks off and a
// task recorded twice, and requires it to count exactly what is wrong: the
// chaos test's zeros mean something only if the checker can see faults.
func TestCheckerCatches(t *testing.T) {
	t.Parallel()
	steps := []int{-1, 0, 1, 2}
	cases := []struct {
		name                         string
		build                        func(l *fakeLog)
		lost, duplicates, reexecuted int
	}{
		{"good", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			l.nodeWrites(s0, "t1")
			s1 := l.put(s0, 1)
			l.taskOutcome(s1, "t2", "send")
			l.nodeWrites(s1, "t2")
			l.put(s1, 2)
		}, 0, 0, 0},
		{"lost step", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			l.taskOutcome(s0, "t2", "send")
			l.put(s0, 2) // step 1 never stored
		}, 1, 0, 0},
		{"ends early", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			l.taskOutcome(s0, "t2", "send")
			l.put(s0, 1)
		}, 1, 0, 0},
		{"duplicated step", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			l.put(s0, 1)
			s1 := l.put(s0, 1) // the same step committed again on the same parent
			l.taskOutcome(s1, "t2", "send")
			l.put(s1, 2)
		}, 0, 1, 0},
		{"node writes twice", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			l.nodeWrites(s0, "t1")
			l.nodeWrites(s0, "t1")
			s1 := l.put(s0, 1)
			l.taskOutcome(s1, "t2", "send")
			l.put(s1, 2)
		}, 0, 1, 0},
		{"task recorded twice", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			s1 := l.put(s0, 1)
			l.taskOutcome(s1, "t2", "send")
			l.taskOutcome(s1, "t2", "send")
			l.put(s1, 2)
		}, 0, 0, 1},
		{"task never recorded", func(l *fakeLog) {
			in := l.put("", -1)
			s0 := l.put(in, 0)
			s1 := l.put(s0, 1)
			l.put(s1, 2)
		}, 1, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &fakeLog{t: t}
			c.build(l)
			v := checkLog("t", l.evs, steps, "send")
			if v.lost != c.lost || v.duplicates != c.duplicates || v.reexecuted != c.reexecuted {
				t.Fatalf("lost=%d duplicates=%d reexecuted=%d, want %d %d %d; problems: %q",
					v.lost, v.duplicates, v.reexecuted, c.lost, c.duplicates, c.reexecuted, v.problems)
			}
			if (c.lost+c.duplicates+c.reexecuted == 0) != (len(v.problems) == 0) {
				t.Fatalf("problems %q for lost=%d duplicates=%d reexecuted=%d", v.problems, v.lost, v.duplicates, v.reexecuted)
			}
		})
	}
}
