package natsjs_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// chat appends n turns to a thread, continuing from its latest checkpoint:
// each a checkpoint whose "messages" channel grows by one message of size
// bytes, with a pending write every third turn. It returns the config of
// every checkpoint it wrote, oldest first.
func chat(t *testing.T, s saver.Saver, thread string, n, size int) []saver.Config {
	t.Helper()
	ctx := t.Context()
	var cfgs []saver.Config
	parent := saver.Config{ThreadID: thread}
	var msgs []byte
	step := -1
	if tu, err := s.GetTuple(ctx, parent); err == nil {
		parent, msgs, step = tu.Config, tu.Checkpoint.ChannelValues["messages"], tu.Metadata.Step+1
	}
	for i := range n {
		msgs = append(bytes.Clone(msgs), bytes.Repeat([]byte{byte('a' + i%26)}, size)...)
		src := saver.SourceLoop
		if step == -1 {
			src = saver.SourceInput
		}
		v := uint64(step + 2)
		cp := saver.Checkpoint{
			ID:              saver.NewCheckpointID(parent.CheckpointID),
			TS:              time.Unix(1700000000, int64(step)).UTC(),
			ChannelValues:   map[string][]byte{"messages": msgs, "step": fmt.Append(nil, step)},
			ChannelVersions: map[string]uint64{"messages": v, "step": v},
		}
		cfg, err := s.Put(ctx, saver.PutOp{Config: parent, Checkpoint: cp, Metadata: saver.Metadata{Source: src, Step: step}, NewVersions: map[string]uint64{"messages": v, "step": v}})
		if err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
		if i%3 == 0 {
			if err := s.PutWrites(ctx, saver.WritesOp{Config: cfg, Writes: []saver.Write{{Channel: "messages", Value: []byte("w")}}, TaskID: fmt.Sprint("task-", step)}); err != nil {
				t.Fatal(err)
			}
		}
		cfgs = append(cfgs, cfg)
		parent = cfg
		step++
	}
	return cfgs
}

// history lists a thread newest first.
func history(t *testing.T, s saver.Saver, thread string) []*saver.Tuple {
	t.Helper()
	var out []*saver.Tuple
	for tu, err := range s.List(t.Context(), saver.ListParams{ThreadID: thread}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tu)
	}
	return out
}

func sameTuples(t *testing.T, got, want []*saver.Tuple) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d tuples, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("tuple %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// events counts a thread's stored events.
func events(t *testing.T, s *natsjs.Saver, thread string) int {
	t.Helper()
	n := 0
	for _, err := range s.Events(t.Context(), thread) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// logBuffer is a concurrency-safe log sink for checking what was reported.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// setupServer starts a server of the test's own.
func setupServer(t *testing.T) (*natsembed.Server, jetstream.JetStream) { return natstest.Server(t) }

func connect(t *testing.T, srv *natsembed.Server) jetstream.JetStream {
	return natstest.Connect(t, srv)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
