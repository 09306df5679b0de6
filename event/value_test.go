package event

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/jetgraph/jetgraph/saver"
)

func TestSiblingAppendsNeverOverwriteEachOther(t *testing.T) {
	t.Parallel()
	root := setValue(bytes.Repeat([]byte("r"), 100))
	a := appendValue(root, []byte("a"), nil)
	aa := appendValue(a, []byte("aa"), nil) // extends a's line
	ab := appendValue(a, []byte("ab"), nil) // must not write where aa did
	ac := appendValue(a, []byte("ac"), nil)
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
		v = appendValue(v, bytes.Repeat([]byte("x"), 100), nil)
		chain = append(chain, v)
		v.bytes() // read as the runtime does, step by step
	}
	buffers := map[*byte]bool{}
	for i, c := range chain {
		b := c.bytes()
		buffers[&b[0]] = true
		if want := 64 + 100*(i+1); len(b) != want || b[63] != 'm' || b[len(b)-1] != 'x' {
			t.Fatalf("value %d reads %d bytes, want %d", i, len(b), want)
		}
	}
	if len(buffers) != 1 { // every value of the line reads its newest buffer
		t.Fatalf("1000 appends are read from %d buffers; want one shared line", len(buffers))
	}
}

// A caller that appends to the value it put before (the graph's list
// cache does) hands in memory the thread already holds: the put is stored
// as an append of the new bytes, and reads return the caller's memory, so
// neither side copies or compares the conversation again.
func TestPutThatExtendsItsOwnMemoryIsAnAppend(t *testing.T) {
	t.Parallel()
	buf := make([]byte, 0, 1024)
	buf = append(buf, bytes.Repeat([]byte("m"), 100)...)
	th := NewThread("t")
	put := func(parent string, v []byte) string {
		t.Helper()
		cp := saver.Checkpoint{ID: saver.NewCheckpointID(parent), ChannelValues: map[string][]byte{"msgs": v}, ChannelVersions: map[string]uint64{"msgs": 1}}
		recs, _, err := th.PlanPut(saver.Config{ThreadID: "t", CheckpointID: parent}, cp, saver.Metadata{Source: saver.SourceLoop}, map[string]uint64{"msgs": 1})
		if err != nil {
			t.Fatal(err)
		}
		th.ApplyRecords(th.Seq+1, recs)
		return cp.ID
	}
	first := put("", buf)
	buf = append(buf, bytes.Repeat([]byte("n"), 50)...) // in place: same memory
	second := put(first, buf)
	e := th.entry("", second)
	if d := e.rec.Values[0]; d.Op != OpAppend || string(d.Data) != string(bytes.Repeat([]byte("n"), 50)) {
		t.Fatalf("stored %s of %d bytes, want an append of the 50 new bytes", d.Op, len(d.Data))
	}
	tu, err := th.Get(saver.Config{ThreadID: "t", CheckpointID: second})
	if err != nil {
		t.Fatal(err)
	}
	got := tu.Checkpoint.ChannelValues["msgs"]
	if !bytes.Equal(got, buf) || unsafe.SliceData(got) != unsafe.SliceData(buf) || cap(got) != len(got) {
		t.Fatalf("read %d bytes (same memory: %v, spare capacity %d), want the caller's %d bytes, clipped", len(got), unsafe.SliceData(got) == unsafe.SliceData(buf), cap(got)-len(got), len(buf))
	}
}
