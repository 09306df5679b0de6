package eventlog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/logtest"
)

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

func setup(t *testing.T) *eventlog.Log {
	t.Helper()
	_, js := natstest.Server(t)
	l, err := eventlog.New(t.Context(), js, eventlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendN(t *testing.T, l *eventlog.Log, thread string, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	last, err := l.LastSeq(t.Context(), thread)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		seq, err := l.Append(t.Context(), thread, last, fmt.Appendf(nil, "%s-%d", thread, i))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
		last = seq
	}
	return seqs
}

func read(t *testing.T, l *eventlog.Log, thread string, from, to uint64) []event.Event {
	t.Helper()
	var out []event.Event
	for ev, err := range l.ReadRange(t.Context(), thread, from, to) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestAppendRejectsStaleExpectation(t *testing.T) {
	t.Parallel()
	l := setup(t)
	ctx := t.Context()
	seq, err := l.Append(ctx, "t", 0, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Append(ctx, "t", 0, []byte("second"))
	var ce *saver.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("stale append: %v, want a conflict", err)
	}
	if ce.Expected != 0 || ce.Actual != seq {
		t.Fatalf("conflict expected %d actual %d, want 0 and %d", ce.Expected, ce.Actual, seq)
	}
	if evs := read(t, l, "t", 1, 100); len(evs) != 1 || string(evs[0].Payload) != "first" {
		t.Fatalf("stored %v, want only the first append", evs)
	}
}

func TestAppendRejectsOversizedEventBeforeWriting(t *testing.T) {
	t.Parallel()
	l := setup(t)
	big := make([]byte, l.JetStream().Conn().MaxPayload())
	_, err := l.Append(t.Context(), "t", 0, big)
	var tl *eventlog.TooLargeError
	if !errors.Is(err, saver.ErrTooLarge) || !errors.As(err, &tl) || tl.Size != len(big) {
		t.Fatalf("oversized append: %v, want ErrTooLarge", err)
	}
	if last, err := l.LastSeq(t.Context(), "t"); err != nil || last != 0 {
		t.Fatalf("last sequence %d, %v after a rejected append, want 0", last, err)
	}
}

func TestRetriedAppendIsRecognized(t *testing.T) {
	t.Parallel()
	l := setup(t)
	ctx := t.Context()
	payload := []byte("once")
	seq, err := l.Append(ctx, "t", 0, payload)
	if err != nil {
		t.Fatal(err)
	}
	// The same append sent again, as a retry after a lost ack would.
	subj, _ := l.Subject("t")
	_, err = l.JetStream().PublishMsg(ctx, &nats.Msg{Subject: subj, Data: payload},
		jetstream.WithMsgID(eventlog.MsgID("t", 0, payload)), jetstream.WithExpectLastSequencePerSubject(0))
	if err == nil {
		t.Fatal("a retried append was stored twice")
	}
	if got := read(t, l, "t", 1, 100); len(got) != 1 || got[0].Seq != seq {
		t.Fatalf("stored %v, want one event at %d", got, seq)
	}
	if eventlog.MsgID("t", 0, payload) == eventlog.MsgID("t", 1, payload) ||
		eventlog.MsgID("t", 0, payload) == eventlog.MsgID("u", 0, payload) ||
		eventlog.MsgID("t", 0, payload) == eventlog.MsgID("t", 0, []byte("other")) {
		t.Fatal("message ids of different appends collide")
	}
}

func TestReadRangeCrossesBatches(t *testing.T) {
	t.Parallel()
	l := setup(t)
	seqs := appendN(t, l, "a.b", 600)
	appendN(t, l, "other", 3) // interleaved subjects must not leak in
	all := read(t, l, "a.b", 0, ^uint64(0))
	if len(all) != 600 {
		t.Fatalf("read %d events, want 600", len(all))
	}
	for i, ev := range all {
		if ev.Seq != seqs[i] || !bytes.Equal(ev.Payload, fmt.Appendf(nil, "a.b-%d", i)) {
			t.Fatalf("event %d = %d %q", i, ev.Seq, ev.Payload)
		}
	}
	mid := read(t, l, "a.b", seqs[100], seqs[399])
	if len(mid) != 300 || mid[0].Seq != seqs[100] || mid[299].Seq != seqs[399] {
		t.Fatalf("range read %d events", len(mid))
	}
	var n int
	for range l.Read(t.Context(), "a.b", seqs[597]) {
		n++
	}
	if n != 2 {
		t.Fatalf("read after %d gave %d events, want 2", seqs[597], n)
	}
}

func TestReadStopsWhenYieldDoes(t *testing.T) {
	t.Parallel()
	l := setup(t)
	appendN(t, l, "t", 10)
	n := 0
	for range l.Read(t.Context(), "t", 0) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("read %d", n)
	}
}

func TestTruncateKeepsTheEventItNames(t *testing.T) {
	t.Parallel()
	l := setup(t)
	seqs := appendN(t, l, "t", 5)
	appendN(t, l, "u", 2)
	if err := l.Truncate(t.Context(), "t", seqs[3]); err != nil {
		t.Fatal(err)
	}
	got := read(t, l, "t", 0, ^uint64(0))
	if len(got) != 2 || got[0].Seq != seqs[3] {
		t.Fatalf("after truncate: %v", got)
	}
	if len(read(t, l, "u", 0, ^uint64(0))) != 2 {
		t.Fatal("truncate touched another thread")
	}
}

func TestThreadsListsDecodedIDs(t *testing.T) {
	t.Parallel()
	l := setup(t)
	ids := []string{"a.b", "a_2Eb", "*", "> x", "日本"}
	for _, id := range ids {
		appendN(t, l, id, 1)
	}
	var got []string
	for id, err := range l.Threads(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if len(got) != len(ids) {
		t.Fatalf("threads %q, want %q", got, ids)
	}
	for _, id := range ids {
		found := false
		for _, g := range got {
			found = found || g == id
		}
		if !found {
			t.Fatalf("thread %q missing from %q", id, got)
		}
	}
}

func TestTailFollowsNewEvents(t *testing.T) {
	t.Parallel()
	l := setup(t)
	seqs := appendN(t, l, "t", 2)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan []uint64)
	go func() {
		var got []uint64
		for ev, err := range l.Tail(ctx, "t", seqs[0]) {
			if err != nil {
				t.Error(err)
				break
			}
			got = append(got, ev.Seq)
			if len(got) == 3 {
				break
			}
		}
		done <- got
	}()
	more := appendN(t, l, "t", 2)
	got := <-done
	want := []uint64{seqs[1], more[0], more[1]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tail yielded %v, want %v", got, want)
	}
}

func TestReplayStopsAtSequence(t *testing.T) {
	t.Parallel()
	l := setup(t)
	recs := func(id string) []byte {
		b, err := event.Encode([]event.Record{{Kind: event.KindCheckpoint, V: event.SchemaVersion,
			Checkpoint: &event.CheckpointRecord{ID: id}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ctx := t.Context()
	s1, _ := l.Append(ctx, "t", 0, recs("1"))
	s2, _ := l.Append(ctx, "t", s1, []byte("corrupt"))
	s3, err := l.Append(ctx, "t", s2, recs("3"))
	if err != nil {
		t.Fatal(err)
	}
	var corrupt []error
	th, err := l.Replay(ctx, "t", nil, s2, func(err error) { corrupt = append(corrupt, err) })
	if err != nil {
		t.Fatal(err)
	}
	if th.Seq != s2 || len(corrupt) != 1 || !errors.Is(corrupt[0], saver.ErrCorrupt) {
		t.Fatalf("replay to %d: seq %d, corrupt %v", s2, th.Seq, corrupt)
	}
	if _, err := th.Get(saver.Config{ThreadID: "t", CheckpointID: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := th.Get(saver.Config{ThreadID: "t", CheckpointID: "3"}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("checkpoint after the target: %v", err)
	}
	th, _ = l.Replay(ctx, "t", th, s3, nil)
	if _, err := th.Get(saver.Config{ThreadID: "t", CheckpointID: "3"}); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	_, js := natstest.Server(t)
	for _, cfg := range []eventlog.Config{{Stream: "a.b"}, {Prefix: "a.*"}, {Prefix: "a..b"}, {Replicas: 9}} {
		if _, err := eventlog.New(t.Context(), js, cfg); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("New(%+v) = %v, want ErrInvalid", cfg, err)
		}
	}
}

// The projector learns which event an append followed from the stored
// expected-sequence header; the server must keep it.
func TestStoredEventKeepsItsExpectedSequence(t *testing.T) {
	t.Parallel()
	l := setup(t)
	seqs := appendN(t, l, "t", 2)
	m, err := l.Stream().GetMsg(t.Context(), seqs[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(jetstream.ExpectedLastSubjSeqHeader); got != fmt.Sprint(seqs[0]) {
		t.Fatalf("stored expected sequence %q, want %d", got, seqs[0])
	}
	if m.Header.Get(jetstream.MsgIDHeader) == "" {
		t.Fatal("stored event has no message id")
	}
}

func TestLogConformance(t *testing.T) {
	t.Parallel()
	_, js := natstest.Server(t)
	var n atomic.Int64
	logtest.Run(t, func(t *testing.T) eventstore.Log {
		i := n.Add(1)
		l, err := eventlog.New(t.Context(), js, eventlog.Config{Stream: fmt.Sprintf("L%d", i), Prefix: fmt.Sprintf("l%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}
