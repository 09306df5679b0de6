package message

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// referenceMerge is the messages reducer as first written: one map over
// current, every update applied in order, appendOnly cleared by any edit of
// current or any removal.
func referenceMerge(current, update []Message) ([]Message, bool) {
	index := make(map[string]int, len(current))
	for i, m := range current {
		index[m.ID] = i
	}
	out := current[:len(current):len(current)]
	appendOnly, copied, removed := true, false, false
	for _, m := range update {
		i, exists := index[m.ID]
		switch {
		case m.Role == RoleRemove:
			if exists && i >= 0 {
				appendOnly, removed = false, true
				index[m.ID] = -1
			}
		case exists && i >= 0:
			if out[i].Equal(m) {
				continue
			}
			if !copied {
				out = append([]Message(nil), out...)
				copied = true
			}
			out[i] = m
			if i < len(current) {
				appendOnly = false
			}
		default:
			index[m.ID] = len(out)
			out = append(out, m)
		}
	}
	if removed {
		kept := make([]Message, 0, len(out))
		for j, m := range out {
			if index[m.ID] == j {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	return out[:len(out):len(out)], appendOnly
}

// randomMessages draws n messages whose ids come from a small pool, so
// updates repeat, edit and remove messages of current and of themselves.
func randomMessages(rng *rand.Rand, n int) []Message {
	var out []Message
	for range n {
		m := Message{ID: fmt.Sprint("m", rng.IntN(12)), Role: RoleHuman, Content: fmt.Sprint("c", rng.IntN(3))}
		if rng.IntN(6) == 0 {
			m.Role = RoleRemove
		}
		out = append(out, m)
	}
	return out
}

func TestMergeAppendMatchesTheReferenceMerge(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		cur, _ := referenceMerge(nil, randomMessages(rng, rng.IntN(10)))
		upd := randomMessages(rng, rng.IntN(12)) // past scanLookups, so the map is built too
		want, wantAppend := referenceMerge(cur, upd)
		got, gotAppend := MergeAppend(cur, upd)
		if gotAppend != wantAppend || !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Fatalf("case %d: MergeAppend(%v, %v) = %v, %v; want %v, %v", i, cur, upd, got, gotAppend, want, wantAppend)
		}
		added, ok := MergeAdded(cur, upd)
		if ok != wantAppend {
			t.Fatalf("case %d: MergeAdded ok = %v, want %v", i, ok, wantAppend)
		}
		if ok && !reflect.DeepEqual(append(cur[:len(cur):len(cur)], added...), want) && len(want) > 0 {
			t.Fatalf("case %d: current + added = %v, want %v", i, append(cur, added...), want)
		}
	}
}

func TestMergeAddedAssignsFreshIDsAndSkipsUnknownRemovals(t *testing.T) {
	t.Parallel()
	cur := Merge(nil, []Message{Human("a")})
	added, ok := MergeAdded(cur, []Message{AI("b"), Remove("unknown"), {Role: RoleRemove}, cur[0]})
	if !ok || len(added) != 1 || added[0].Content != "b" || added[0].ID == "" || added[0].ID == cur[0].ID {
		t.Fatalf("added %+v ok=%v", added, ok)
	}
}

func TestMergeAddedRefusesEditsOfCurrent(t *testing.T) {
	t.Parallel()
	cur := Merge(nil, []Message{Human("a"), Human("b")})
	edit := cur[0]
	edit.Content = "A"
	for _, upd := range [][]Message{{edit}, {Remove(cur[1].ID)}, {AI("new"), Remove(cur[0].ID)}} {
		if added, ok := MergeAdded(cur, upd); ok {
			t.Fatalf("MergeAdded(%v) = %v, true; want false", upd, added)
		}
	}
}
