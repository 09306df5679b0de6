package message

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// referenceMerge is LangGraph's add_messages, line for line (an unknown
// removal is ignored rather than an error). appendOnly is cleared by any
// removal of a known id and by any change to a message of current.
func referenceMerge(current, update []Message) ([]Message, bool) {
	merged := append([]Message(nil), current...)
	byID := make(map[string]int, len(current))
	for i, m := range current {
		byID[m.ID] = i
	}
	appendOnly := true
	toRemove := map[string]bool{}
	for _, m := range update {
		if i, ok := byID[m.ID]; ok {
			if m.Role == RoleRemove {
				toRemove[m.ID] = true
				appendOnly = false
			} else {
				delete(toRemove, m.ID)
				if i < len(current) && !merged[i].Equal(m) {
					appendOnly = false
				}
				merged[i] = m
			}
			continue
		}
		if m.Role == RoleRemove {
			continue
		}
		byID[m.ID] = len(merged)
		merged = append(merged, m)
	}
	out := []Message{}
	for _, m := range merged {
		if !toRemove[m.ID] {
			out = append(out, m)
		}
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

func TestMergeReplacesARemovedAndReAddedMessageInPlace(t *testing.T) {
	t.Parallel()
	cur := Merge(nil, []Message{Human("a"), Human("b"), Human("c")})
	readd := cur[0]
	readd.Content = "A"
	got := Merge(cur, []Message{Remove(cur[0].ID), readd})
	want := []Message{readd, cur[1], cur[2]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("remove then re-add: %v, want %v (in place, as add_messages)", got, want)
	}
	got = Merge(cur, []Message{readd, Remove(cur[0].ID)})
	if want := cur[1:]; !reflect.DeepEqual(got, want) {
		t.Fatalf("re-add then remove: %v, want %v", got, want)
	}
}

func TestWithIDsGivesIDsOnlyWhereMissing(t *testing.T) {
	t.Parallel()
	kept := []Message{{ID: "x", Role: RoleHuman, Content: "a"}, Remove("y")}
	if got := WithIDs(kept); &got[0] != &kept[0] {
		t.Fatalf("WithIDs copied a list that has every id: %v", got)
	}
	in := []Message{AI("new"), kept[0], {Role: RoleRemove}}
	got := WithIDs(in)
	if got[0].ID == "" || in[0].ID != "" || got[1].ID != "x" || got[2].ID != "" {
		t.Fatalf("WithIDs(%v) = %v", in, got)
	}
	if merged := Merge(nil, got); merged[0].ID != got[0].ID {
		t.Fatalf("Merge gave %q, the update had %q", merged[0].ID, got[0].ID)
	}
}
