package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// A message another client publishes on a thread's subject that is not an
// event: events and audit show it as corrupt, with the thread and its
// sequence; the thread stays readable and goes on.
func TestForgedMessageOnAThreadIsShownAsCorrupt(t *testing.T) {
	t.Parallel()
	srv, js := natstest.ServerWith(t, natsembed.Options{Listen: true}) // the CLI dials it, as another process would
	url := srv.ClientURL()
	ok(t, nil, chatTurns, "chat", "--thread", "t1", "--saver", url)
	before := ok(t, nil, "", "state", "t1", "--saver", url)

	tok, err := eventlog.EncodeThread("t1")
	if err != nil {
		t.Fatal(err)
	}
	subj := "jetgraph.thread." + tok // the default prefix the CLI uses
	st, err := js.Stream(t.Context(), "JETGRAPH")
	if err != nil {
		t.Fatal(err)
	}
	last, err := st.GetLastMsgForSubject(t.Context(), subj)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: subj, Data: []byte("\xc1forged")}, jetstream.WithExpectLastSequencePerSubject(last.Sequence))
	if err != nil {
		t.Fatal(err)
	}
	bad := fmt.Sprintf("decode event %d of thread %q", ack.Sequence, "t1")

	events := ok(t, nil, "", "events", "t1", "--saver", url)
	line := fmt.Sprintf("t1 seq %d ", ack.Sequence)
	if !strings.Contains(events, line) || !strings.Contains(events[strings.Index(events, line):], "CORRUPT") {
		t.Fatalf("events does not show event %d as corrupt:\n%s", ack.Sequence, events)
	}
	if out := ok(t, nil, "", "audit", "--thread", "t1", "--saver", url); !strings.Contains(out, "CORRUPT") || !strings.Contains(out, bad) {
		t.Fatalf("audit does not show %q:\n%s", bad, out)
	}
	if after := ok(t, nil, "", "state", "t1", "--saver", url); after != before {
		t.Fatalf("the thread reads differently after the forged message:\n%s\nwant\n%s", after, before)
	}
	ok(t, nil, chatTurns, "chat", "--thread", "t1", "--saver", url)
	if h := ok(t, nil, "", "history", "t1", "--saver", url); strings.Count(h, "\n") < 2 {
		t.Fatalf("history after the forged message:\n%s", h)
	}
}
