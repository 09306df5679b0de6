package natsjs_test

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// rawClient returns a JetStream handle on a connection of its own, as a
// process that is not jetgraph would have.
func rawClient(t *testing.T, srv *natsembed.Server) (jetstream.JetStream, *nats.Conn) {
	t.Helper()
	js, nc, err := srv.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js, nc
}

// An event of one thread published again on another thread's subject is
// not folded into the victim: readers and the projector report it as
// corrupt, with the victim and the sequence, and skip it, and the
// victim's checkpoints are what its own writes made, also for a reader
// that starts from the snapshot bucket.
func TestForeignEventOnAThreadIsSkipped(t *testing.T) {
	t.Parallel()
	for _, by := range []natsjs.SnapshotBy{natsjs.ByWriter, natsjs.ByProjector} {
		t.Run(string(by), func(t *testing.T) {
			t.Parallel()
			srv, js := setupServer(t)
			var logs logBuffer
			cfg := isolated(1)
			cfg.SnapshotBy = by
			cfg.Logger = logs.logger()
			cfg.Projector.MinSnapshotBytes = 1
			s := open(t, js, cfg)
			ctx := t.Context()
			chat(t, s, "victim", 3, 10)
			chat(t, s, "attacker", 3, 10)

			raw, _ := rawClient(t, srv)
			attackerSubj, _ := s.EventLog().Subject("attacker")
			victimSubj, _ := s.EventLog().Subject("victim")
			stream, err := raw.Stream(ctx, cfg.Log.Stream)
			if err != nil {
				t.Fatal(err)
			}
			stolen, err := stream.GetLastMsgForSubject(ctx, attackerSubj)
			if err != nil {
				t.Fatal(err)
			}
			last, err := s.EventLog().LastSeq(ctx, "victim")
			if err != nil {
				t.Fatal(err)
			}
			msg := &nats.Msg{Subject: victimSubj, Data: stolen.Data, Header: nats.Header{}}
			for k, v := range stolen.Header { // the headers too, as a copy would have them
				if !strings.HasPrefix(k, "Nats-") {
					msg.Header[k] = v
				}
			}
			ack, err := raw.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				t.Fatal(err)
			}
			want := chat(t, s, "victim", 2, 10) // the writer goes on over the foreign event
			settle(t, s)

			for i, r := range []*natsjs.Saver{s, reader(t, js, cfg)} {
				h := history(t, r, "victim")
				if len(h) != 5 || h[0].Config != want[1] {
					t.Fatalf("reader %d: victim has %d checkpoints (latest %v), want its own 5", i, len(h), h[0].Config)
				}
				for _, tu := range h {
					if tu.Config.ThreadID != "victim" || strings.Contains(string(tu.Checkpoint.ChannelValues["messages"]), "attacker") {
						t.Fatalf("reader %d: the attacker's checkpoint is in the victim's history: %+v", i, tu.Config)
					}
				}
			}
			out := logs.String()
			if !strings.Contains(out, "corrupt") || !strings.Contains(out, "thread=victim") || !strings.Contains(out, "seq="+itoa(ack.Sequence)) {
				t.Fatalf("the foreign event was not reported with the victim and its sequence %d:\n%s", ack.Sequence, out)
			}
		})
	}
}
