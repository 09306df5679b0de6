package crash

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/test/crash/workflow"
)

// tally counts what the checks found over a saver and mode's workflows.
type tally struct {
	lost       int // steps missing from the final line, or acknowledged and gone
	duplicate  int // step commits (or a task's node writes) stored twice
	reexecuted int // side effects of a Task whose outcome was already stored
	problems   []string
	leases     int // lease records seen, for the log
}

func (t *tally) problemf(format string, args ...any) {
	t.problems = append(t.problems, fmt.Sprintf(format, args...))
}

// effect is one line of the side-effect file.
type effect struct {
	name, key, marker string
	gen               int
}

func parseEffects(b []byte) ([]effect, error) {
	var out []effect
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			return nil, fmt.Errorf("side-effect line %q: want 4 fields", sc.Text())
		}
		gen, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("side-effect line %q: %w", sc.Text(), err)
		}
		out = append(out, effect{name: f[0], key: f[1], marker: f[2], gen: gen})
	}
	return out, sc.Err()
}

// workflowRun is what the harness saw of one workflow: its thread's log,
// its side effects, its final state, the steps acknowledged in sync mode.
type workflowRun struct {
	thread  string
	log     *threadLog
	effects []effect
	final   workflow.State // as the last child reported it
	stored  workflow.State // as the harness reads it from the store
	acked   []Line         // "step" lines of every child
}

// verify checks one workflow against the reference run and adds what it
// found to t.
func verify(t *tally, w workflowRun, ref workflowRun, sync bool) {
	line, err := w.log.line()
	if err != nil {
		t.problemf("thread %s: %v", w.thread, err)
		return
	}
	refLine, err := ref.log.line()
	if err != nil {
		t.problemf("reference: %v", err)
		return
	}
	if len(line) == 0 || len(refLine) == 0 {
		t.problemf("thread %s: no checkpoint (reference: %d)", w.thread, len(refLine))
		return
	}
	// Every step from the input's (-1) to the last, once, in order.
	onLine := map[string]bool{}
	want := -1
	for _, c := range line {
		onLine[c.id] = true
		if c.step < want {
			t.duplicate++
			t.problemf("thread %s: step %d (checkpoint %s) again after step %d", w.thread, c.step, c.id, want-1)
			continue
		}
		if c.step > want {
			t.lost += c.step - want
			t.problemf("thread %s: steps %d..%d missing before checkpoint %s", w.thread, want, c.step-1, c.id)
		}
		want = c.step + 1
	}
	if last, refLast := line[len(line)-1].step, refLine[len(refLine)-1].step; last != refLast {
		if last < refLast {
			t.lost += refLast - last
		}
		t.problemf("thread %s: ends at step %d, the reference at %d", w.thread, last, refLast)
	}
	// No step committed twice anywhere in the log: one checkpoint per
	// parent and step, each id put once.
	type parentStep struct {
		parent string
		step   int
	}
	children := map[parentStep]int{}
	ids := map[string]int{}
	for _, c := range w.log.checkpoints {
		ids[c.id]++
		if ids[c.id] > 1 {
			t.duplicate++
			t.problemf("thread %s: checkpoint %s put %d times", w.thread, c.id, ids[c.id])
			continue
		}
		if c.source != string(saver.SourceLoop) && c.source != string(saver.SourceInput) {
			continue
		}
		ps := parentStep{c.parent, c.step}
		children[ps]++
		if children[ps] > 1 {
			t.duplicate++
			t.problemf("thread %s: step %d committed %d times on parent %q", w.thread, c.step, children[ps], c.parent)
		}
	}
	for k, n := range w.log.nodeWrites {
		if n > 1 {
			t.duplicate += n - 1
			t.problemf("thread %s: task %s stored its writes %d times on checkpoint %s", w.thread, k[1], n, k[0])
		}
	}
	verifyTasks(t, w, onLine)
	verifyState(t, w, ref)
	if sync {
		final := map[string]bool{}
		for _, n := range w.stored.Nonces {
			final[n] = true
		}
		for _, ack := range w.acked {
			for _, n := range ack.Nonces {
				if !final[n] {
					t.lost++
					t.problemf("thread %s: step %d was acknowledged (nonce %s) but is not on the final line", w.thread, ack.Step, n)
					break
				}
			}
		}
	}
}

// verifyTasks checks the Task outcomes in the log against the side-effect
// file: every recorded outcome was produced by exactly one call, no call of
// the same task (same name, same checkpoint state) ran after the call whose
// outcome was stored, and each task call id has one outcome.
func verifyTasks(t *tally, w workflowRun, onLine map[string]bool) {
	at := map[string]int{} // marker -> index in the file
	for i, e := range w.effects {
		if _, dup := at[e.marker]; dup {
			t.problemf("thread %s: marker %s written twice", w.thread, e.marker)
		}
		at[e.marker] = i
	}
	byCall := map[string][]string{}
	finalMarkers := map[string][]string{}
	for _, tf := range w.log.tasks {
		byCall[tf.callID] = append(byCall[tf.callID], tf.marker)
		if onLine[tf.checkpoint] {
			finalMarkers[tf.name] = append(finalMarkers[tf.name], tf.marker)
		}
		i, ok := at[tf.marker]
		if !ok {
			t.problemf("thread %s: task %s (%s) recorded marker %s, which no side effect wrote", w.thread, tf.name, tf.callID, tf.marker)
			continue
		}
		rec := w.effects[i]
		for _, e := range w.effects[i+1:] {
			if e.name == rec.name && e.key == rec.key {
				t.reexecuted++
				t.problemf("thread %s: task %s ran again (marker %s, child %d) after its outcome %s (child %d) was stored at event %d",
					w.thread, tf.name, e.marker, e.gen, tf.marker, rec.gen, tf.seq)
			}
		}
	}
	for call, markers := range byCall {
		if len(markers) > 1 {
			t.reexecuted += len(markers) - 1
			t.problemf("thread %s: task call %s recorded %d outcomes %v", w.thread, call, len(markers), markers)
		}
	}
	for name, want := range map[string]string{"charge": w.stored.Charge, "notify": w.stored.Notice} {
		got := slices.Compact(slices.Sorted(slices.Values(finalMarkers[name])))
		if len(got) != 1 || got[0] != want {
			t.problemf("thread %s: the final state's %s marker is %q, the final line recorded %v", w.thread, name, want, got)
		}
	}
}

// verifyState checks that the state the last child reported is the one
// stored, and compares it with the reference run's: equal but for the
// random nonces and markers, with as many nonces (one per node run on the
// final line).
func verifyState(t *tally, w workflowRun, ref workflowRun) {
	if !reflect.DeepEqual(w.final, w.stored) {
		t.problemf("thread %s: the last child reported %+v, the store holds %+v", w.thread, w.final, w.stored)
	}
	norm := func(s workflow.State) workflow.State {
		s.Charge, s.Notice = "", ""
		s.Nonces = []string{strconv.Itoa(len(s.Nonces))}
		return s
	}
	got, want := norm(w.stored), norm(ref.stored)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.problemf("thread %s: final state %+v, reference %+v", w.thread, got, want)
	}
}
