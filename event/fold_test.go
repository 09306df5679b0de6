package event

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// script drives a Thread the way a saver does: plan, encode, apply at the
// next sequence, keeping the log so it can be folded again from scratch.
type script struct {
	t      *testing.T
	thread *Thread
	log    []Event
	want   map[string]map[string]string // checkpoint id -> values put
}

func newScript(t *testing.T, id string) *script {
	return &script{t: t, thread: NewThread(id), want: map[string]map[string]string{}}
}

func (s *script) commit(recs []Record, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	if len(recs) == 0 {
		return
	}
	payload, err := Encode(recs)
	if err != nil {
		s.t.Fatal(err)
	}
	seq := s.thread.Seq + 1
	s.log = append(s.log, Event{Seq: seq, Payload: payload})
	// Apply the planned records, as savers do (Settle applies them unless
	// PlanCommit did already); check compares the result with a cold fold
	// of the encoded log.
	s.thread.Settle(seq, recs)
}

func (s *script) put(parent string, src saver.Source, vals map[string]string) string {
	s.t.Helper()
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(parent), TS: time.Unix(1700000000, 0), ChannelValues: map[string][]byte{}, ChannelVersions: map[string]uint64{}}
	nv := map[string]uint64{}
	for k, v := range vals {
		cp.ChannelValues[k] = []byte(v)
		cp.ChannelVersions[k] = 1
		nv[k] = 1
	}
	recs, _, err := s.thread.PlanPut(saver.Config{ThreadID: s.thread.ID, CheckpointID: parent}, cp, saver.Metadata{Source: src}, nv)
	s.commit(recs, err)
	full := map[string]string{}
	if p, ok := s.want[parent]; ok {
		maps.Copy(full, p)
	}
	maps.Copy(full, vals)
	s.want[cp.ID] = full
	return cp.ID
}

// check folds the log from scratch and restores a snapshot, and compares
// both with the incremental state, tuple by tuple and byte by byte.
func (s *script) check() {
	s.t.Helper()
	cold, err := FoldAll(s.thread.ID, s.log)
	if err != nil {
		s.t.Fatal(err)
	}
	snap, err := s.thread.Snapshot()
	if err != nil {
		s.t.Fatal(err)
	}
	restored, err := Restore(snap)
	if err != nil {
		s.t.Fatal(err)
	}
	coldSnap, _ := cold.Snapshot()
	restoredSnap, _ := restored.Snapshot()
	if !bytes.Equal(snap, coldSnap) || !bytes.Equal(snap, restoredSnap) {
		s.t.Fatal("snapshots differ between the incremental, cold and restored folds")
	}
	for _, other := range []*Thread{cold, restored} {
		a, b := s.thread.Select(saver.ListParams{}), other.Select(saver.ListParams{})
		if !reflect.DeepEqual(a, b) {
			s.t.Fatalf("refs differ: %v vs %v", a, b)
		}
		for _, ref := range a {
			if x, y := s.thread.Tuple(ref), other.Tuple(ref); !reflect.DeepEqual(x, y) {
				s.t.Fatalf("tuple %v differs:\n%+v\n%+v", ref, x, y)
			}
		}
	}
	for _, ref := range s.thread.Select(saver.ListParams{}) {
		want, ok := s.want[ref.ID]
		if !ok {
			continue
		}
		got := map[string]string{}
		for k, v := range s.thread.Tuple(ref).Checkpoint.ChannelValues {
			got[k] = string(v)
		}
		if !maps.Equal(got, want) {
			s.t.Fatalf("checkpoint %s values %v, want %v", ref.ID, got, want)
		}
	}
}

func TestFoldIncrementalColdAndSnapshotAgree(t *testing.T) {
	t.Parallel()
	s := newScript(t, "t")
	long := string(bytes.Repeat([]byte("m"), 100))
	head := s.put("", saver.SourceInput, map[string]string{"log": long, "x": "1"})
	for i := range 30 {
		long += fmt.Sprintf("msg-%02d;", i)
		head = s.put(head, saver.SourceLoop, map[string]string{"log": long})
	}
	fork := s.put(head, saver.SourceFork, map[string]string{"log": long + "fork"})
	s.commit(s.thread.PlanWrites(saver.Config{ThreadID: "t", CheckpointID: fork}, []saver.Write{{Channel: "a", Value: []byte("1")}}, "task"))
	s.check()
	s.commit(s.thread.PlanPrune(saver.PruneKeepLatest))
	s.check()
	s.commit(s.thread.PlanDelete(), nil)
	s.check()
	s.put("", saver.SourceInput, map[string]string{"fresh": "yes"})
	s.check()
}

func TestAppendsStoreOnlyTheSuffix(t *testing.T) {
	t.Parallel()
	// Invariant 5: one more message on a long conversation costs about one
	// message, not the conversation.
	s := newScript(t, "t")
	msg := bytes.Repeat([]byte("x"), 200)
	var conv []byte
	head := ""
	for i := range 1000 {
		conv = append(conv, msg...)
		src := saver.SourceLoop
		if i == 0 {
			src = saver.SourceInput
		}
		head = s.put(head, src, map[string]string{"messages": string(conv)})
	}
	last := s.log[len(s.log)-1].Payload
	if len(last) > 2*len(msg)+300 {
		t.Fatalf("appending one 200-byte message to 1000 stored %d bytes", len(last))
	}
	total := 0
	for _, ev := range s.log {
		total += len(ev.Payload)
	}
	if total > 1000*(len(msg)+300) {
		t.Fatalf("1000 appends stored %d bytes: not linear", total)
	}
	s.check()
}

func TestApplyReportsCorruptEventsWithThreadAndSequence(t *testing.T) {
	t.Parallel()
	th := NewThread("audit")
	for _, payload := range [][]byte{nil, []byte("garbage"), mustEncode(t, []Record{{Kind: "teleport", V: 1}}),
		mustEncode(t, []Record{{Kind: KindCheckpoint, V: 99, Checkpoint: &CheckpointRecord{ID: "x"}}}),
		mustEncode(t, []Record{{Kind: KindCheckpoint, V: 1}})} {
		err := th.Apply(7, payload)
		var de *DecodeError
		if !errors.As(err, &de) || de.Thread != "audit" || de.Seq != 7 || !errors.Is(err, saver.ErrCorrupt) {
			t.Fatalf("payload %q: error %v, want a DecodeError for thread audit seq 7", payload, err)
		}
	}
	err := th.Apply(8, mustEncode(t, []Record{{Kind: "teleport", V: 1}}))
	if !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
	if th.Seq != 8 || !th.Empty() {
		t.Fatalf("a corrupt event must leave the state as it was and move past it: seq %d", th.Seq)
	}
}

func TestEncodingIsDeterministic(t *testing.T) {
	t.Parallel()
	rec := []Record{{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{ID: "a",
		Versions: map[string]uint64{"z": 1, "a": 2, "m": 3},
		Metadata: MetadataRecord{Extra: map[string]any{"k": map[string]any{"y": 1, "b": 2}, "a": 1}}}}}
	first := mustEncode(t, rec)
	for range 50 {
		if !bytes.Equal(first, mustEncode(t, rec)) {
			t.Fatal("two encodings of one record differ")
		}
	}
}

func mustEncode(t *testing.T, recs []Record) []byte {
	t.Helper()
	b, err := Encode(recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A frozen state encodes, in another goroutine, to the snapshot taken when
// it was frozen, however the thread changes meanwhile (run with -race).
func TestFrozenStateEncodesAsOfFreeze(t *testing.T) {
	t.Parallel()
	s := newScript(t, "frozen")
	id := s.put("", saver.SourceInput, map[string]string{"v": "a"})
	for i := range 20 {
		id = s.put(id, saver.SourceLoop, map[string]string{"v": fmt.Sprint("a", i)})
	}
	s.commit(s.thread.PlanWrites(saver.Config{ThreadID: "frozen", CheckpointID: id}, []saver.Write{{Channel: "x", Value: []byte("1")}}, "task"))
	want, err := s.thread.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	at := s.thread.Seq
	f := s.thread.Freeze()
	done := make(chan []byte)
	go func() {
		b, err := f.Encode()
		if err != nil {
			t.Error(err)
		}
		done <- b
	}()
	for i := range 20 { // the thread goes on: puts, writes to a frozen entry, a rollback
		id = s.put(id, saver.SourceLoop, map[string]string{"v": fmt.Sprint("b", i)})
	}
	s.commit(s.thread.PlanWrites(saver.Config{ThreadID: "frozen", CheckpointID: id}, []saver.Write{{Channel: "y", Value: []byte("2")}}, "other"))
	s.commit(s.thread.PlanRollback([]string{""}), nil)
	if got := <-done; !bytes.Equal(got, want) {
		t.Fatalf("frozen state encoded to %d bytes that differ from the %d-byte snapshot taken at the freeze", len(got), len(want))
	}
	if f.Seq() != at {
		t.Fatalf("frozen at sequence %d, want %d", f.Seq(), at)
	}
}
