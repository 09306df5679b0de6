package event

import (
	"bytes"
	"testing"
)

func TestSiblingAppendsNeverOverwriteEachOther(t *testing.T) {
	t.Parallel()
	root := setValue(bytes.Repeat([]byte("r"), 100))
	a := appendValue(root, []byte("a"))
	aa := appendValue(a, []byte("aa")) // extends a's buffer in place
	ab := appendValue(a, []byte("ab")) // must not write where aa did
	ac := appendValue(a, []byte("ac"))
	want := map[*value]string{
		root: string(bytes.Repeat([]byte("r"), 100)),
		a:    string(bytes.Repeat([]byte("r"), 100)) + "a",
		aa:   string(bytes.Repeat([]byte("r"), 100)) + "aaa",
		ab:   string(bytes.Repeat([]byte("r"), 100)) + "aab",
		ac:   string(bytes.Repeat([]byte("r"), 100)) + "aac",
	}
	// Read in an order that materializes a, then each child in turn.
	for _, v := range []*value{aa, ab, ac, a, root, aa, ab} {
		if got := string(v.bytes()); got != want[v] {
			t.Fatalf("value reads %q, want %q", got[90:], want[v][90:])
		}
	}
	// Appending to a handed-out slice must not reach a shared buffer.
	got := a.bytes()
	_ = append(got, "XYZ"...)
	if string(aa.bytes()) != want[aa] || string(ab.bytes()) != want[ab] {
		t.Fatal("appending to a handed-out value changed another value")
	}
	if cap(got) != len(got) {
		t.Fatalf("handed-out slice has spare capacity %d", cap(got)-len(got))
	}
}

func TestALongChainSharesOneGrowingBuffer(t *testing.T) {
	t.Parallel()
	v := setValue(bytes.Repeat([]byte("m"), 64))
	var chain []*value
	for range 1000 {
		v = appendValue(v, bytes.Repeat([]byte("x"), 100))
		chain = append(chain, v)
		v.bytes() // read as the runtime does, step by step
	}
	buffers := map[*byte]bool{}
	for _, c := range chain {
		buffers[&c.full[0]] = true
	}
	if len(buffers) > 20 { // doubling: about log2(100000/64) buffers
		t.Fatalf("1000 appends used %d buffers; want a shared, doubling one", len(buffers))
	}
}
