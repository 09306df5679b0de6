package eventlog_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
)

// stockServer starts a server with the stock 1 MB max payload.
func stockLog(t *testing.T) *eventlog.Log {
	t.Helper()
	_, js := natstest.ServerWith(t, natsembed.Options{MaxPayload: 1 << 20})
	l, err := eventlog.New(t.Context(), js, eventlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Ids too long for a subject are refused before anything is sent, and the
// connection (and every other thread on it) keeps working.
func TestOverlongIDIsInvalidAndHarmless(t *testing.T) {
	t.Parallel()
	l := stockLog(t)
	ctx := t.Context()
	for _, id := range []string{strings.Repeat(".", 1536), strings.Repeat("a", 4<<10), strings.Repeat("x", 64<<10)} {
		if _, err := l.Append(ctx, id, 0, []byte("p")); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("append to a %d-byte id: %v, want saver.ErrInvalid", len(id), err)
		}
		if _, err := l.LastSeq(ctx, id); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("last sequence of a %d-byte id: %v, want saver.ErrInvalid", len(id), err)
		}
		for _, err := range l.Read(ctx, id, 0) {
			if !errors.Is(err, saver.ErrInvalid) {
				t.Errorf("read of a %d-byte id: %v, want saver.ErrInvalid", len(id), err)
			}
		}
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for _, err := range l.Tail(tctx, id, 0) {
			if !errors.Is(err, saver.ErrInvalid) {
				t.Errorf("tail of a %d-byte id: %v, want saver.ErrInvalid", len(id), err)
			}
			break
		}
		cancel()
		if err := l.Truncate(ctx, id, 5); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("truncate of a %d-byte id: %v, want saver.ErrInvalid", len(id), err)
		}
	}
	appendN(t, l, "other", 2)
	if !l.JetStream().Conn().IsConnected() {
		t.Fatal("connection lost")
	}
}

// The longest ids, of dots and of 4-byte runes, live on hashed subjects:
// appends, reads, truncation and Threads all work, and Threads names them
// from the header of their newest message.
func TestLongestIDsWorkOnHashedSubjects(t *testing.T) {
	t.Parallel()
	l := stockLog(t)
	ctx := t.Context()
	dots := strings.Repeat(".", saver.MaxThreadIDBytes)
	runes := strings.Repeat("😀", saver.MaxThreadIDBytes/4)
	near := strings.Repeat(".", saver.MaxThreadIDBytes-1) // a neighbour: another hash
	ids := []string{dots, runes, near, "short"}
	for _, id := range ids {
		seqs := appendN(t, l, id, 3)
		if got := read(t, l, id, 1, seqs[2]); len(got) != 3 || string(got[2].Payload) != id+"-2" {
			t.Fatalf("read back %d events of a %d-byte id", len(got), len(id))
		}
	}
	if err := l.Truncate(ctx, dots, ^uint64(0)); err != nil {
		t.Fatal(err)
	}
	if got := read(t, l, dots, 0, ^uint64(0)); len(got) != 1 {
		t.Fatalf("%d events after truncate, want the newest", len(got))
	}
	var got []string
	for id, err := range l.Threads(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, want) {
		t.Fatalf("Threads gave %d ids, want %d (the long ones whole)", len(got), len(want))
	}
	subj, _ := l.Subject(dots)
	m, err := l.Stream().GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if th, err := l.ThreadOf(m.Subject, m.Header); err != nil || th != dots {
		t.Fatalf("ThreadOf a hashed subject: %d bytes, %v", len(th), err)
	}
	if _, err := l.Thread(subj); !errors.Is(err, eventlog.ErrHashedToken) {
		t.Fatalf("Thread of a hashed subject: %v, want ErrHashedToken", err)
	}
	// A header naming another thread is not taken for the subject's.
	m.Header.Set(eventlog.ThreadHeader, "short")
	if _, err := l.ThreadOf(m.Subject, m.Header); !errors.Is(err, saver.ErrCorrupt) {
		t.Fatalf("ThreadOf with a foreign header: %v, want saver.ErrCorrupt", err)
	}
}
