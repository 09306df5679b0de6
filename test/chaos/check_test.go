package chaos

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// taskChannel is the channel graph.Task records its outcomes on.
const taskChannel = "__task__"

// taskRecord is graph.Task's recorded outcome, as graph stores it.
type taskRecord struct {
	Name   string `msgpack:"n"`
	Result []byte `msgpack:"r,omitempty"`
	Err    string `msgpack:"e,omitempty"`
	Failed bool   `msgpack:"f,omitempty"`
}

// checkpointFact is one checkpoint record of a log.
type checkpointFact struct {
	id, parent, source string
	step               int
	seq                uint64
}

// verdict is what checkLog found in one thread's log.
type verdict struct {
	lost       int // steps of the reference missing from the final line
	duplicates int // steps committed twice, checkpoints put twice, node writes stored twice
	reexecuted int // Task outcomes recorded more than once for one task
	problems   []string
}

func (v *verdict) problemf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *verdict) add(o verdict) {
	v.lost += o.lost
	v.duplicates += o.duplicates
	v.reexecuted += o.reexecuted
	v.problems = append(v.problems, o.problems...)
}

// checkLog reads a thread's events record by record and checks them
// against the steps of a local run (wantSteps: the steps of the checkpoints
// on its line, input first) and, if task is not empty, the graph.Task of
// that name, which the run calls once:
//
//   - lost: a step of wantSteps that is not on the final line (the
//     checkpoints from the head back through their parents), or a line
//     that breaks off (a parent not in the log), or no recorded outcome of
//     the task;
//   - duplicates: a step twice on the line, a checkpoint id put twice, two
//     loop or input checkpoints on one parent and step anywhere in the
//     log, or one task's node writes stored twice on a checkpoint;
//   - reexecuted: more than one recorded outcome of the task.
func checkLog(thread string, evs []event.Event, wantSteps []int, task string) verdict {
	var v verdict
	var cps []checkpointFact
	byID := map[string]checkpointFact{}
	nodeWrites := map[[2]string]int{}
	var outcomes []string // checkpoint/call of each recorded outcome of task
	writes := func(checkpoint string, ws []event.WriteRecord) {
		counted := map[string]bool{}
		for _, w := range ws {
			switch w.Channel {
			case taskChannel:
				var rec taskRecord
				if err := msgpack.Unmarshal(w.Value, &rec); err != nil {
					v.problemf("thread %s: task write %s on %s: %v", thread, w.TaskID, checkpoint, err)
					continue
				}
				if rec.Name == task {
					outcomes = append(outcomes, checkpoint+"/"+w.TaskID)
				}
			case saver.ChannelInterrupt, saver.ChannelResume, saver.ChannelError:
			default:
				if !counted[w.TaskID] { // one record holds all of a task's writes
					counted[w.TaskID] = true
					nodeWrites[[2]string{checkpoint, w.TaskID}]++
				}
			}
		}
	}
	for _, ev := range evs {
		recs, err := event.Decode(ev.Payload)
		if err != nil {
			v.problemf("thread %s: event %d: %v", thread, ev.Seq, err)
			continue
		}
		for _, rec := range recs {
			switch rec.Kind {
			case event.KindCheckpoint:
				c := rec.Checkpoint
				f := checkpointFact{id: c.ID, parent: c.ParentID, source: c.Metadata.Source, step: c.Metadata.Step, seq: ev.Seq}
				cps = append(cps, f)
				if _, ok := byID[c.ID]; !ok {
					byID[c.ID] = f
				}
			case event.KindWrites:
				writes(rec.Writes.CheckpointID, rec.Writes.Writes)
			}
		}
	}
	folded, err := event.FoldAll(thread, evs)
	if err != nil {
		v.problemf("thread %s: fold: %v", thread, err)
		return v
	}
	head, ok := folded.Latest("")
	if !ok {
		v.lost += len(wantSteps)
		v.problemf("thread %s: no checkpoint", thread)
		return v
	}

	// The final line, input first.
	var line []checkpointFact
	seen := map[string]bool{}
	for id := head.ID; id != ""; {
		f, ok := byID[id]
		if !ok {
			v.lost++
			v.problemf("thread %s: checkpoint %s on the final line is not in the log", thread, id)
			break
		}
		if seen[id] {
			v.problemf("thread %s: parent cycle at checkpoint %s", thread, id)
			break
		}
		seen[id] = true
		line = append(line, f)
		id = f.parent
	}
	slices.Reverse(line)
	onLine := map[int]int{}
	for i, c := range line {
		onLine[c.step]++
		if i > 0 && c.step <= line[i-1].step {
			v.problemf("thread %s: step %d (checkpoint %s) follows step %d on the final line", thread, c.step, c.id, line[i-1].step)
		}
	}
	want := map[int]int{}
	for _, s := range wantSteps {
		want[s]++
	}
	for s, n := range want {
		if got := onLine[s]; got < n {
			v.lost += n - got
			v.problemf("thread %s: step %d missing from the final line", thread, s)
		} else if got > n {
			v.duplicates += got - n
			v.problemf("thread %s: step %d %d times on the final line", thread, s, got)
		}
	}
	for s, n := range onLine {
		if want[s] == 0 {
			v.problemf("thread %s: step %d (%d checkpoints) on the final line; a local run has no such step", thread, s, n)
		}
	}

	// Nothing committed twice anywhere in the log.
	type parentStep struct {
		parent string
		step   int
	}
	ids := map[string]int{}
	children := map[parentStep]int{}
	for _, c := range cps {
		if ids[c.id]++; ids[c.id] > 1 {
			v.duplicates++
			v.problemf("thread %s: checkpoint %s put %d times (event %d)", thread, c.id, ids[c.id], c.seq)
			continue
		}
		if c.source != string(saver.SourceLoop) && c.source != string(saver.SourceInput) {
			continue
		}
		ps := parentStep{c.parent, c.step}
		if children[ps]++; children[ps] > 1 {
			v.duplicates++
			v.problemf("thread %s: step %d committed %d times on parent %q (event %d)", thread, c.step, children[ps], c.parent, c.seq)
		}
	}
	for k, n := range nodeWrites {
		if n > 1 {
			v.duplicates += n - 1
			v.problemf("thread %s: task %s stored its writes %d times on checkpoint %s", thread, k[1], n, k[0])
		}
	}
	if task != "" {
		switch len(outcomes) {
		case 0:
			v.lost++
			v.problemf("thread %s: no recorded outcome of task %s", thread, task)
		case 1:
		default:
			v.reexecuted += len(outcomes) - 1
			v.problemf("thread %s: task %s has %d recorded outcomes: %v", thread, task, len(outcomes), outcomes)
		}
	}
	return v
}

// describeLog lists a log's records one a line, for a thread that failed.
func describeLog(evs []event.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		recs, err := event.Decode(ev.Payload)
		if err != nil {
			fmt.Fprintf(&b, "%d: %v\n", ev.Seq, err)
			continue
		}
		for _, rec := range recs {
			switch rec.Kind {
			case event.KindCheckpoint:
				c := rec.Checkpoint
				fmt.Fprintf(&b, "%d: checkpoint %s parent %s %s step %d\n", ev.Seq, c.ID, c.ParentID, c.Metadata.Source, c.Metadata.Step)
			case event.KindWrites:
				for _, w := range rec.Writes.Writes {
					fmt.Fprintf(&b, "%d: write on %s task %s channel %s\n", ev.Seq, rec.Writes.CheckpointID, w.TaskID, w.Channel)
				}
			default:
				fmt.Fprintf(&b, "%d: %v record\n", ev.Seq, rec.Kind)
			}
		}
	}
	return b.String()
}
