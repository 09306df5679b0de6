package natsjs_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// wideState has enough channels that values each small enough to stay in
// the event add up to more than one message holds, and one large enough to
// go out of line.
type wideState struct {
	Name                                   string `graph:"name"`
	Out                                    []byte `graph:"out"`
	C0, C1, C2, C3, C4, C5, C6, C7, C8, C9 []byte
	D0, D1, D2, D3, D4, D5, D6, D7, D8, D9 []byte
}

// msgs returns how many messages a stream holds, read by a client of its
// own.
func msgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	st, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// State too large for the JetStream saver on a stock server (1 MB max
// payload): a value above the 64 MiB every saver accepts is an error
// matching saver.ErrTooLarge that names the channel, its size and the
// limit; nothing is stored (no event, no blob), and the thread reads as
// before. An event whose in-line values outgrow a message is not too
// large: its largest values go out of line.
func TestStateTooLargeStoresNothing(t *testing.T) {
	t.Parallel()
	srv, js := natstest.ServerWith(t, natsembed.Options{MaxPayload: 1 << 20}) // a stock server's
	ctx := t.Context()
	cfg := isolated(1)
	s := open(t, js, cfg)
	raw, _ := rawClient(t, srv)

	g := graph.New[wideState]()
	g.AddNode("n", func(context.Context, wideState) (wideState, error) { return wideState{Name: "ran"}, nil })
	g.AddEdge(graph.START, "n")
	g.AddEdge("n", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	thread := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, wideState{Out: []byte(strings.Repeat("o", 200<<10))}, thread); err != nil {
		t.Fatal(err)
	}
	before, err := chain.GetState(ctx, thread)
	if err != nil {
		t.Fatal(err)
	}
	events, blobs := msgs(t, raw, cfg.Log.Stream), msgs(t, raw, "OBJ_"+cfg.BlobBucket)
	if blobs == 0 {
		t.Fatal("the 200 KiB value is not out of line: the blob count below proves nothing")
	}
	refused := func(what string, update wideState, channel string, limit int) {
		t.Helper()
		_, err := chain.UpdateState(ctx, thread, update, "n")
		if !errors.Is(err, saver.ErrTooLarge) {
			t.Fatalf("%s: %v; want saver.ErrTooLarge", what, err)
		}
		m := regexp.MustCompile(`channel "([^"]*)" holds (\d+) bytes`).FindStringSubmatch(err.Error())
		if m == nil || channel != "" && m[1] != channel || !strings.Contains(err.Error(), strconv.Itoa(limit)) {
			t.Fatalf("%s: %q; want the channel %q, its size and the limit %d", what, err, channel, limit)
		}
		if e, b := msgs(t, raw, cfg.Log.Stream), msgs(t, raw, "OBJ_"+cfg.BlobBucket); e != events || b != blobs {
			t.Fatalf("%s: the stream holds %d events and the bucket %d blob messages, %d and %d before", what, e, b, events, blobs)
		}
		for i, r := range []*natsjs.Saver{s, reader(t, js, cfg)} { // this saver, and a cold one
			c, err := g.Compile(graph.WithCheckpointer(r))
			if err != nil {
				t.Fatal(err)
			}
			after, err := c.GetState(ctx, thread)
			if err != nil || after.Config != before.Config || string(after.Values.Out) != string(before.Values.Out) {
				t.Fatalf("%s: reader %d reads %+v (%v), want the thread as before", what, i, after.Config, err)
			}
		}
	}

	// One value above the 64 MiB every saver stores, with a new
	// out-of-line value beside it.
	huge := wideState{Out: make([]byte, 64<<20+1), C0: []byte(strings.Repeat("q", 200<<10))}
	refused("a value above 64 MiB", huge, "out", 64<<20)

	// Each value fits in a message, and would go in the event; together
	// they do not fit: the largest go out of line, and the step is stored.
	mid := []byte(strings.Repeat("m", 60<<10))
	wide := wideState{Out: []byte(strings.Repeat("p", 200<<10)),
		C0: mid, C1: mid, C2: mid, C3: mid, C4: mid, C5: mid, C6: mid, C7: mid, C8: mid, C9: mid,
		D0: mid, D1: mid, D2: mid, D3: mid, D4: mid, D5: mid, D6: mid, D7: mid, D8: mid, D9: mid}
	if _, err := chain.UpdateState(ctx, thread, wide, "n"); err != nil {
		t.Fatalf("an event larger than a message, of values that each fit: %v", err)
	}
	if b := msgs(t, raw, "OBJ_"+cfg.BlobBucket); b <= blobs {
		t.Fatalf("the bucket holds %d blob messages, %d before: nothing went out of line", b, blobs)
	}
	after, err := g.Compile(graph.WithCheckpointer(reader(t, js, cfg)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := after.GetState(ctx, thread)
	if err != nil || string(st.Values.D9) != string(mid) || string(st.Values.Out) != string(wide.Out) {
		t.Fatalf("a cold read after the wide step: %d and %d bytes (%v)", len(st.Values.D9), len(st.Values.Out), err)
	}
}
