package message

import (
	"slices"
	"testing"
)

func contents(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

func TestMergeAssignsIDsAndAppends(t *testing.T) {
	t.Parallel()
	got, appendOnly := MergeAppend(nil, []Message{Human("hi"), AI("hello")})
	if !appendOnly || len(got) != 2 || got[0].ID == "" || got[1].ID == "" || got[0].ID == got[1].ID {
		t.Fatalf("got %+v appendOnly=%v", got, appendOnly)
	}
}

func TestMergeReplacesByID(t *testing.T) {
	t.Parallel()
	cur := Merge(nil, []Message{Human("a"), Human("b")})
	edit := cur[1]
	edit.Content = "B"
	got, appendOnly := MergeAppend(cur, []Message{edit})
	if appendOnly || !slices.Equal(contents(got), []string{"a", "B"}) {
		t.Fatalf("got %q appendOnly=%v", contents(got), appendOnly)
	}
	if cur[1].Content != "b" {
		t.Fatal("Merge modified its input")
	}
}

func TestMergeOfUnchangedHistoryAddsOnlyTheNewMessage(t *testing.T) {
	t.Parallel()
	cur := Merge(nil, []Message{Human("a"), AI("b")})
	modified := append(slices.Clone(cur), Human("Try again."))
	got, appendOnly := MergeAppend(cur, modified)
	if !appendOnly || !slices.Equal(contents(got), []string{"a", "b", "Try again."}) {
		t.Fatalf("got %q appendOnly=%v", contents(got), appendOnly)
	}
}

func TestMergeRemovesByID(t *testing.T) {
	t.Parallel()
	cur := Merge(nil, []Message{Human("a"), Human("b"), Human("c")})
	got, appendOnly := MergeAppend(cur, []Message{Remove(cur[1].ID), Remove("unknown")})
	if appendOnly || !slices.Equal(contents(got), []string{"a", "c"}) {
		t.Fatalf("got %q appendOnly=%v", contents(got), appendOnly)
	}
}

func TestMergeDoesNotAliasCurrent(t *testing.T) {
	t.Parallel()
	cur := make([]Message, 1, 10)
	cur[0] = Human("a")
	cur[0].ID = "1"
	x := Merge(cur, []Message{Human("x")})
	y := Merge(cur, []Message{Human("y")})
	if x[1].Content != "x" || y[1].Content != "y" {
		t.Fatalf("results share storage: %q %q", contents(x), contents(y))
	}
}
