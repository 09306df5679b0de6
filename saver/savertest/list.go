package savertest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// runList stores 8 tuples (2 threads x 2 namespaces x a parent with source
// input and a child with source loop) in one saver and lists them with every
// combination of thread x namespace x limit x before x filter: 6 x 3 x 3 x 3
// x 4 = 648 cases, each checking the exact set, its newest-first order and
// that every listed tuple equals what GetTuple returns.
func runList(t *testing.T, newSaver NewSaver) {
	t.Run("Matrix", func(t *testing.T) {
		s := newSaver(t)
		var stored []*saver.Tuple
		for _, thread := range []string{"thread-a", "thread-b"} {
			for _, ns := range namespaces {
				b := on(t, s, thread, ns)
				parent := b.put("", meta(saver.SourceInput, -1), map[string]string{"who": thread + "/" + ns})
				must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: parent, Writes: []saver.Write{w("who", "write")}, TaskID: "task-" + thread}))
				child := b.put(parent.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"n": "1"})
				stored = append(stored, b.get(parent.CheckpointID), b.get(child.CheckpointID))
			}
		}
		threads := []string{"", "thread-a", "thread-b", "thread", "thread-a ", "no-such-thread"}
		nss := []*string{nil, saver.NS(""), saver.NS("child")}
		limits := []int{0, 1, 2}
		befores := []string{"", stored[3].Checkpoint.ID, stored[6].Checkpoint.ID}
		filters := []map[string]any{nil, {}, {"source": "input"}, {"source": "loop"}}
		for _, thread := range threads {
			for _, ns := range nss {
				for _, limit := range limits {
					for bi, before := range befores {
						for _, filter := range filters {
							p := saver.ListParams{ThreadID: thread, Namespace: ns, Limit: limit, Before: before, Filter: filter}
							name := fmt.Sprintf("thread=%q/ns=%s/limit=%d/before=%d/filter=%v", thread, describeNS(ns), limit, bi, filter)
							t.Run(name, func(t *testing.T) {
								t.Parallel()
								checkList(t, s, p, expectList(stored, p))
							})
						}
					}
				}
			}
		}
	})
	t.Run("ByCheckpointID", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		b := on(t, s, "thread-1", "")
		first := b.put("", meta(saver.SourceInput, -1), nil)
		b.put(first.CheckpointID, meta(saver.SourceLoop, 0), nil)
		got := collect(t, s, saver.ListParams{ThreadID: "thread-1", CheckpointID: first.CheckpointID})
		if len(got) != 1 || got[0].Config != first {
			t.Fatalf("list by checkpoint id: %v, want just %s", ids(got), first.CheckpointID)
		}
	})
	t.Run("CustomMetadataFilter", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		b := on(t, s, "thread-1", "")
		for i, user := range []string{"alice", "bob", "alice"} {
			md := saver.Metadata{Source: saver.SourceUpdate, Step: i, Extra: map[string]any{"user": user, "n": int64(i)}}
			b.put("", md, nil)
		}
		if got := collect(t, s, saver.ListParams{Filter: map[string]any{"user": "alice"}}); len(got) != 2 {
			t.Fatalf("filter user=alice: %d tuples, want 2", len(got))
		}
		if got := collect(t, s, saver.ListParams{Filter: map[string]any{"user": "alice", "n": 2}}); len(got) != 1 {
			t.Fatalf("filter user=alice n=2: %d tuples, want 1", len(got))
		}
		if got := collect(t, s, saver.ListParams{Filter: map[string]any{"step": 1}}); len(got) != 1 {
			t.Fatalf("filter step=1: %d tuples, want 1", len(got))
		}
		if got := collect(t, s, saver.ListParams{Filter: map[string]any{"user": "carol"}}); len(got) != 0 {
			t.Fatalf("filter user=carol: %d tuples, want 0", len(got))
		}
		if got := collect(t, s, saver.ListParams{Filter: map[string]any{"missing": nil}}); len(got) != 0 {
			t.Fatalf("filter on a missing key: %d tuples, want 0", len(got))
		}
	})
	t.Run("StopsWhenTheCallerStops", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		b := on(t, s, "thread-1", "")
		c := b.put("", meta(saver.SourceInput, -1), nil)
		for i := range 4 {
			c = b.put(c.CheckpointID, meta(saver.SourceLoop, i), nil)
		}
		n := 0
		for _, err := range s.List(ctx(t), saver.ListParams{}) {
			must(t, err)
			n++
			if n == 2 {
				break
			}
		}
		if n != 2 {
			t.Fatalf("iterated %d, want 2", n)
		}
	})
	t.Run("EmptySaverListsNothing", func(t *testing.T) {
		t.Parallel()
		if got := collect(t, newSaver(t), saver.ListParams{}); len(got) != 0 {
			t.Fatalf("empty saver listed %d tuples", len(got))
		}
	})
}

func describeNS(ns *string) string {
	if ns == nil {
		return "any"
	}
	return nsName(*ns)
}

// expectList is the reference implementation of List's selection.
func expectList(stored []*saver.Tuple, p saver.ListParams) []*saver.Tuple {
	var out []*saver.Tuple
	for _, tu := range stored {
		if (p.ThreadID == "" || tu.Config.ThreadID == p.ThreadID) &&
			(p.Namespace == nil || tu.Config.CheckpointNS == *p.Namespace) &&
			(p.Before == "" || tu.Checkpoint.ID < p.Before) &&
			(p.Filter["source"] == nil || string(tu.Metadata.Source) == p.Filter["source"]) {
			out = append(out, tu)
		}
	}
	slices.SortFunc(out, func(a, b *saver.Tuple) int {
		if a.Checkpoint.ID > b.Checkpoint.ID {
			return -1
		}
		return 1
	})
	if p.Limit > 0 && len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return out
}

func checkList(t *testing.T, s saver.Saver, p saver.ListParams, want []*saver.Tuple) {
	t.Helper()
	got := collect(t, s, p)
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("list %+v\n got ids %v\nwant ids %v (newest first)", p, ids(got), ids(want))
	}
	for i := range got {
		wantTuple(t, got[i], want[i])
	}
}
