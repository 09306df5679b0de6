package event

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// foldModel is a straightforward reference for what a thread holds after
// a sequence of saver operations: every checkpoint with its parent, full
// values and run, the pending writes of each, and which is latest. It
// knows nothing of records, deltas, snapshots or seeds.
type foldModel struct {
	order  []string // checkpoint ids in put order
	cps    map[string]*modelCheckpoint
	writes map[string][]saver.PendingWrite
}

type modelCheckpoint struct {
	parent string
	source saver.Source
	run    string
	values map[string]string
}

func newFoldModel() *foldModel {
	return &foldModel{cps: map[string]*modelCheckpoint{}, writes: map[string][]saver.PendingWrite{}}
}

func (m *foldModel) alive() []string {
	var ids []string
	for _, id := range m.order {
		if m.cps[id] != nil {
			ids = append(ids, id)
		}
	}
	return ids
}

func (m *foldModel) latest() string {
	ids := m.alive()
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

// lineTaken reports whether a live input or loop checkpoint already
// continues parent.
func (m *foldModel) lineTaken(parent string) bool {
	for _, c := range m.cps {
		if c != nil && c.parent == parent && (c.source == saver.SourceInput || c.source == saver.SourceLoop) {
			return true
		}
	}
	return false
}

func (m *foldModel) remove(keep func(id string) bool) {
	for id, c := range m.cps {
		if c != nil && !keep(id) {
			m.cps[id] = nil
			delete(m.writes, id)
		}
	}
}

// FuzzFoldModel reads the input as a script of saver operations (puts on
// the line and off it, conflicting puts, writes, deletes, rollbacks,
// prunes), plans and applies each on a Thread, applies it to a foldModel
// too, and checks that they agree: the same checkpoints, latest, parents,
// values and pending writes, the same verdict on every put (a second line
// child of a checkpoint is a conflict), and, as FuzzFold does, that the
// cold fold of the encoded log and a restored snapshot agree with the
// incremental fold. The seed corpus is in testdata/fuzz/FuzzFoldModel.
func FuzzFoldModel(f *testing.F) {
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 300 {
			return
		}
		s := newScript(t, "model")
		m := newFoldModel()
		n := 0
		pick := func(b byte) string {
			ids := m.alive()
			if len(ids) == 0 {
				return ""
			}
			return ids[int(b)%len(ids)]
		}
		for i := 0; i+1 < len(script); i += 2 {
			op, arg := script[i]%8, script[i+1]
			n++
			switch op {
			case 0, 1, 2: // a loop child of the latest, a loop child of any, a fork or update child of any
				parent := m.latest()
				src := saver.SourceLoop
				switch op {
				case 1:
					parent = pick(arg)
				case 2:
					parent = pick(arg)
					src = []saver.Source{saver.SourceFork, saver.SourceUpdate}[arg%2]
				}
				if parent == "" {
					src = saver.SourceInput
				}
				vals := map[string]string{}
				if parent != "" {
					maps.Copy(vals, m.cps[parent].values)
				}
				newVersions := map[string]uint64{}
				ch := string(rune('a' + arg%4))
				cp := saver.Checkpoint{ID: saver.NewCheckpointID(parent), TS: time.Unix(1700000000, int64(n)),
					ChannelValues: map[string][]byte{}, ChannelVersions: map[string]uint64{}}
				switch {
				case arg%16 == 15: // clear a channel
					delete(vals, ch)
				case arg%5 == 0: // append to a channel
					vals[ch] += fmt.Sprintf("+%d", n)
				default:
					vals[ch] = fmt.Sprintf("%d:%d", n, arg)
				}
				newVersions[ch] = uint64(n)
				for k, v := range vals {
					cp.ChannelValues[k] = []byte(v)
					cp.ChannelVersions[k] = uint64(n)
				}
				run := fmt.Sprintf("r%d", arg%3)
				md := saver.Metadata{Source: src, RunID: run, Step: n}
				recs, _, err := s.thread.PlanPut(saver.Config{ThreadID: "model", CheckpointID: parent}, cp, md, newVersions)
				conflict := src == saver.SourceLoop && m.lineTaken(parent)
				if conflict {
					var ce *saver.ConflictError
					if !errors.As(err, &ce) {
						t.Fatalf("op %d: a second loop child of %s: %v, want a *saver.ConflictError", n, parent, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("op %d: put %s child of %q: %v", n, src, parent, err)
				}
				s.commit(recs, nil)
				m.order = append(m.order, cp.ID)
				m.cps[cp.ID] = &modelCheckpoint{parent: parent, source: src, run: run, values: vals}
			case 3: // writes of a new task on any checkpoint
				id := pick(arg)
				if id == "" {
					continue
				}
				task := fmt.Sprintf("task-%04d", n)
				w := saver.Write{Channel: []string{"x", "y", saver.ChannelError}[arg%3], Value: []byte{arg, byte(n)}}
				recs, err := s.thread.PlanWrites(saver.Config{ThreadID: "model", CheckpointID: id}, []saver.Write{w}, task)
				if err != nil {
					t.Fatalf("op %d: writes on %s: %v", n, id, err)
				}
				s.commit(recs, nil)
				m.writes[id] = append(m.writes[id], saver.PendingWrite{TaskID: task, Channel: w.Channel, Value: w.Value})
			case 4: // writes on a checkpoint the thread does not hold
				recs, err := s.thread.PlanWrites(saver.Config{ThreadID: "model", CheckpointID: saver.NewCheckpointID("")},
					[]saver.Write{{Channel: "x", Value: []byte{arg}}}, "stray")
				if err == nil || len(recs) != 0 {
					t.Fatalf("op %d: writes on an unknown checkpoint: %d records, %v", n, len(recs), err)
				}
			case 5:
				if arg%4 == 0 {
					s.commit(s.thread.PlanDelete(), nil)
					m.remove(func(string) bool { return false })
					continue
				}
				runs := []string{fmt.Sprintf("r%d", arg%3)}
				s.commit(s.thread.PlanRollback(runs), nil)
				m.remove(func(id string) bool { return !slices.Contains(runs, m.cps[id].run) })
			case 6:
				s.commit(s.thread.PlanPrune(saver.PruneKeepLatest))
				latest := m.latest()
				m.remove(func(id string) bool { return id == latest })
			default:
				s.check()
				checkModel(t, s.thread, m)
			}
		}
		s.check()
		checkModel(t, s.thread, m)
	})
}

// checkModel compares the thread with the model.
func checkModel(t *testing.T, th *Thread, m *foldModel) {
	t.Helper()
	var got []string
	for _, ref := range th.Select(saver.ListParams{}) {
		got = append(got, ref.ID)
	}
	want := m.alive()
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("the thread holds %v, the model %v", got, want)
	}
	latest, ok := th.Latest("")
	if ok != (len(want) > 0) || ok && latest.ID != m.latest() {
		t.Fatalf("latest is %v (%v), the model's %q", latest, ok, m.latest())
	}
	for _, id := range want {
		mc := m.cps[id]
		tu := th.Tuple(Ref{ID: id})
		if tu == nil {
			t.Fatalf("checkpoint %s: no tuple", id)
		}
		vals := map[string]string{}
		for k, v := range tu.Checkpoint.ChannelValues {
			vals[k] = string(v)
		}
		if !maps.Equal(vals, mc.values) {
			t.Fatalf("checkpoint %s: values %v, the model's %v", id, vals, mc.values)
		}
		if tu.Metadata.Source != mc.source || tu.Metadata.RunID != mc.run {
			t.Fatalf("checkpoint %s: source %q run %q, the model's %q %q", id, tu.Metadata.Source, tu.Metadata.RunID, mc.source, mc.run)
		}
		if mc.parent != "" && m.cps[mc.parent] != nil {
			if tu.ParentConfig == nil || tu.ParentConfig.CheckpointID != mc.parent {
				t.Fatalf("checkpoint %s: parent %+v, the model's %s", id, tu.ParentConfig, mc.parent)
			}
		}
		ws := m.writes[id]
		if len(tu.PendingWrites) != len(ws) {
			t.Fatalf("checkpoint %s: pending writes %+v, the model's %+v", id, tu.PendingWrites, ws)
		}
		for i, w := range tu.PendingWrites {
			if w.TaskID != ws[i].TaskID || w.Channel != ws[i].Channel || string(w.Value) != string(ws[i].Value) {
				t.Fatalf("checkpoint %s: pending write %d is %+v, the model's %+v", id, i, w, ws[i])
			}
		}
	}
}
