package tenants_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// jsStreamSubjectOverlap is the JetStream API error code for a stream
// whose subjects overlap another's (nats-server's JSStreamSubjectOverlapErr;
// nats.go names no constant for it).
const jsStreamSubjectOverlap jetstream.ErrorCode = 10065

// confFile is the permission set the README shows and operators deploy.
const confFile = "../../deploy/nats-tenants.conf"

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

// client is one tenant's connection with the asynchronous errors the
// server sent it.
type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

// server starts an embedded server with the tenants' configuration file,
// the tenants' passwords in the environment it reads, and returns its URL
// and the passwords by user.
func server(t *testing.T) (string, map[string]string) {
	t.Helper()
	pw := map[string]string{}
	for _, u := range []string{"a", "b"} {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		pw["tenant-"+u] = hex.EncodeToString(b)
		t.Setenv("JETGRAPH_TENANT_"+strings.ToUpper(u)+"_PASSWORD", pw["tenant-"+u])
	}
	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true, ConfigFile: confFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv.ClientURL(), pw
}

// dial connects as user with tenant's inbox prefix.
func dial(t *testing.T, url, user, pass, tenant string) *client {
	t.Helper()
	c := &client{errs: make(chan error, 1024)}
	nc, err := nats.Connect(url,
		nats.UserInfo(user, pass), nats.CustomInboxPrefix(natsjs.InboxPrefix(tenant)),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case c.errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	return c
}

// newSaver opens a saver of tenant on c, its projector writing
// snapshots so that the projector's durable consumer and its acks are
// covered by the permissions too.
func newSaver(t *testing.T, c *client, tenant string) *natsjs.Saver {
	t.Helper()
	s, err := natsjs.New(t.Context(), c.js, natsjs.Config{Tenant: tenant, SnapshotBy: natsjs.ByProjector, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("tenant %s: %v", tenant, err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// denied runs op, which must fail, bounded by a short deadline (a denied
// request gets no reply: the server answers the publish with a permission
// error on the connection), and then waits for the server's permission
// violation on a subject that starts with subject.
func (c *client) denied(t *testing.T, what, subject string, op func(ctx context.Context) error) {
	t.Helper()
	for len(c.errs) > 0 {
		<-c.errs
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	err := op(ctx)
	cancel()
	if err == nil {
		t.Fatalf("%s: succeeded with tenant a's credentials", what)
	}
	for {
		select {
		case e := <-c.errs:
			if errors.Is(e, nats.ErrPermissionViolation) && strings.Contains(e.Error(), `"`+subject) {
				t.Logf("%s: %v (server: %v)", what, err, e)
				return
			}
		case <-t.Context().Done():
			t.Fatalf("%s: failed with %v, and no permission violation on %q came", what, err, subject)
		}
	}
}

// put stores one checkpoint on thread with a value of size bytes.
func put(t *testing.T, s saver.Saver, thread string, size int) saver.Config {
	t.Helper()
	cp := saver.Checkpoint{
		ID:              saver.NewCheckpointID(""),
		TS:              time.Unix(1700000000, 0).UTC(),
		ChannelValues:   map[string][]byte{"messages": bytes.Repeat([]byte("m"), size)},
		ChannelVersions: map[string]uint64{"messages": 1},
	}
	cfg, err := s.Put(t.Context(), saver.PutOp{Config: saver.Config{ThreadID: thread}, Checkpoint: cp,
		Metadata: saver.Metadata{Source: saver.SourceInput, Step: -1}, NewVersions: map[string]uint64{"messages": 1}})
	if err != nil {
		t.Fatalf("put %s: %v", thread, err)
	}
	return cfg
}

// snapshot is what tenant b holds, to compare before and after.
func snapshot(t *testing.T, s *natsjs.Saver, js jetstream.JetStream) string {
	t.Helper()
	var b strings.Builder
	for tu, err := range s.List(t.Context(), saver.ListParams{ThreadID: "secret"}) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x\n", tu.Config.CheckpointID, tu.Metadata.Step, tu.Checkpoint.ChannelValues["messages"])
	}
	for _, name := range []string{"JETGRAPH_b_EVENTS", "KV_jetgraph-b-snapshots", "OBJ_jetgraph-b-blobs"} {
		st, err := js.Stream(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s msgs=%d last=%d\n", name, info.State.Msgs, info.State.LastSeq)
	}
	return b.String()
}

func TestTenantIsConfinedToItsOwnThreads(t *testing.T) {
	url, pw := server(t)
	ctx := t.Context()

	// Tenant b stores a thread, with a value large enough to go to its
	// blob bucket.
	b := dial(t, url, "tenant-b", pw["tenant-b"], "b")
	sb := newSaver(t, b, "b")
	put(t, sb, "secret", 2<<20)
	before := snapshot(t, sb, b.js)

	// Tenant a's saver works on its own names: write, read, tail, delete.
	a := dial(t, url, "tenant-a", pw["tenant-a"], "a")
	sa := newSaver(t, a, "a")
	cfg := put(t, sa, "mine", 2<<20)
	if tu, err := sa.GetTuple(ctx, cfg); err != nil || len(tu.Checkpoint.ChannelValues["messages"]) != 2<<20 {
		t.Fatalf("tenant a reads its own thread: %v", err)
	}
	for ev, err := range sa.Tail(ctx, "mine", 0) {
		if err != nil {
			t.Fatalf("tenant a tails its own thread: %v", err)
		}
		if ev.Seq == 0 {
			t.Fatalf("tail event %+v", ev)
		}
		break
	}
	if err := sa.DeleteThread(ctx, "mine"); err != nil {
		t.Fatalf("tenant a deletes its own thread: %v", err)
	}
	// The same thread id under a's names is a's, not b's.
	if _, err := sa.GetTuple(ctx, saver.Config{ThreadID: "secret"}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("tenant a reads thread %q: err %v, want not found", "secret", err)
	}

	// Through a saver configured with b's names, on a's credentials.
	a.denied(t, "open a saver on b's names", "$JS.API.STREAM.UPDATE.JETGRAPH_b_EVENTS", func(ctx context.Context) error {
		s, err := natsjs.New(ctx, a.js, natsjs.Config{Tenant: "b", Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			_ = s.Close(ctx)
		}
		// The saver says why: the server's refusal, not only a timeout.
		if err != nil && !errors.Is(err, nats.ErrPermissionViolation) {
			t.Errorf("opening a saver on b's names failed with %v, not a permission error", err)
		}
		return err
	})

	// Raw reads of b's stream, buckets and blobs.
	a.denied(t, "stream info", "$JS.API.STREAM.INFO.JETGRAPH_b_EVENTS", func(ctx context.Context) error {
		_, err := a.js.Stream(ctx, "JETGRAPH_b_EVENTS")
		return err
	})
	a.denied(t, "get message", "$JS.API.STREAM.MSG.GET.JETGRAPH_b_EVENTS", func(ctx context.Context) error {
		_, err := a.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.JETGRAPH_b_EVENTS", []byte(`{"seq":1}`))
		return err
	})
	a.denied(t, "direct get", "$JS.API.DIRECT.GET.JETGRAPH_b_EVENTS.jetgraph.tenant.b.thread.>", func(ctx context.Context) error {
		_, err := a.nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET.JETGRAPH_b_EVENTS.jetgraph.tenant.b.thread.>", nil)
		return err
	})
	a.denied(t, "snapshot bucket", "$JS.API.STREAM.INFO.KV_jetgraph-b-snapshots", func(ctx context.Context) error {
		_, err := a.js.KeyValue(ctx, "jetgraph-b-snapshots")
		return err
	})
	a.denied(t, "blob bucket", "$JS.API.STREAM.INFO.OBJ_jetgraph-b-blobs", func(ctx context.Context) error {
		_, err := a.js.ObjectStore(ctx, "jetgraph-b-blobs")
		return err
	})
	a.denied(t, "stream list", "$JS.API.STREAM.LIST", func(ctx context.Context) error {
		l := a.js.ListStreams(ctx)
		for range l.Info() {
		}
		return l.Err()
	})

	// Tailing: a consumer on b's stream, or a plain subscription to b's
	// subjects.
	a.denied(t, "consumer on b's stream", "$JS.API.CONSUMER.CREATE.JETGRAPH_b_EVENTS.", func(ctx context.Context) error {
		_, err := a.js.CreateConsumer(ctx, "JETGRAPH_b_EVENTS", jetstream.ConsumerConfig{FilterSubject: "jetgraph.tenant.b.thread.>"})
		return err
	})
	a.denied(t, "durable consumer on b's stream", "$JS.API.CONSUMER.CREATE.JETGRAPH_b_EVENTS.", func(ctx context.Context) error {
		_, err := a.js.CreateOrUpdateConsumer(ctx, "JETGRAPH_b_EVENTS", jetstream.ConsumerConfig{Durable: "spy"})
		return err
	})
	a.denied(t, "pull from b's projector consumer", "$JS.API.CONSUMER.MSG.NEXT.JETGRAPH_b_EVENTS.jetgraph-projector", func(ctx context.Context) error {
		_, err := a.nc.RequestWithContext(ctx, "$JS.API.CONSUMER.MSG.NEXT.JETGRAPH_b_EVENTS.jetgraph-projector", []byte(`{"batch":1}`))
		return err
	})
	a.denied(t, "subscribe to b's subjects", "jetgraph.tenant.b.thread.>", func(ctx context.Context) error {
		sub, err := a.nc.SubscribeSync("jetgraph.tenant.b.thread.>")
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
		_, err = sub.NextMsgWithContext(ctx)
		return err
	})

	// Writes: an event on a thread of b, a snapshot, a blob chunk.
	a.denied(t, "publish an event", "jetgraph.tenant.b.thread.c2VjcmV0", func(ctx context.Context) error {
		_, err := a.js.Publish(ctx, "jetgraph.tenant.b.thread.c2VjcmV0", []byte("forged"))
		return err
	})
	a.denied(t, "write a snapshot", "$KV.jetgraph-b-snapshots.secret", func(ctx context.Context) error {
		_, err := a.js.Publish(ctx, "$KV.jetgraph-b-snapshots.secret", []byte("forged"))
		return err
	})
	a.denied(t, "write a blob", "$O.jetgraph-b-blobs.C.x", func(ctx context.Context) error {
		_, err := a.js.Publish(ctx, "$O.jetgraph-b-blobs.C.x", []byte("forged"))
		return err
	})

	// Deletes: the stream, a purge, a message, the buckets.
	a.denied(t, "delete b's stream", "$JS.API.STREAM.DELETE.JETGRAPH_b_EVENTS", func(ctx context.Context) error {
		return a.js.DeleteStream(ctx, "JETGRAPH_b_EVENTS")
	})
	a.denied(t, "purge b's stream", "$JS.API.STREAM.PURGE.JETGRAPH_b_EVENTS", func(ctx context.Context) error {
		_, err := a.nc.RequestWithContext(ctx, "$JS.API.STREAM.PURGE.JETGRAPH_b_EVENTS", []byte(`{}`))
		return err
	})
	a.denied(t, "delete a message", "$JS.API.STREAM.MSG.DELETE.JETGRAPH_b_EVENTS", func(ctx context.Context) error {
		_, err := a.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.DELETE.JETGRAPH_b_EVENTS", []byte(`{"seq":1}`))
		return err
	})
	a.denied(t, "delete the snapshot bucket", "$JS.API.STREAM.DELETE.KV_jetgraph-b-snapshots", func(ctx context.Context) error {
		return a.js.DeleteKeyValue(ctx, "jetgraph-b-snapshots")
	})
	a.denied(t, "delete the blob bucket", "$JS.API.STREAM.DELETE.OBJ_jetgraph-b-blobs", func(ctx context.Context) error {
		return a.js.DeleteObjectStore(ctx, "jetgraph-b-blobs")
	})

	// a's own stream cannot take over b's subjects once b's stream holds
	// them: the server refuses overlapping subjects (which is why the
	// README says to create every tenant's streams before handing out
	// its credentials).
	_, err := a.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "JETGRAPH_a_TASKS", Subjects: []string{"jetgraph.tenant.b.thread.>"}})
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != jsStreamSubjectOverlap {
		t.Fatalf("a's stream over b's subjects: err %v, want subjects overlap", err)
	}

	// Replies to b's inbox: a cannot listen in.
	a.denied(t, "subscribe to b's inbox", "_INBOX_jetgraph_b.>", func(ctx context.Context) error {
		sub, err := a.nc.SubscribeSync("_INBOX_jetgraph_b.>")
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
		_, err = sub.NextMsgWithContext(ctx)
		return err
	})

	if after := snapshot(t, sb, b.js); after != before {
		t.Fatalf("tenant b's data changed:\nbefore %s\nafter  %s", before, after)
	}
}

// A node runner and a dispatching client of tenant a run a graph with
// tenant a's permissions alone: the task stream, the bindings bucket, the
// runner's consumers and the thread watches are all within them.
func TestTenantRunnerWorksWithinItsPermissions(t *testing.T) {
	url, pw := server(t)
	ctx := t.Context()
	a := dial(t, url, "tenant-a", pw["tenant-a"], "a")
	s := newSaver(t, a, "a")
	hosted, err := examples.Chat(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(ctx, runner.Config{JetStream: a.js, Saver: s, Graphs: []runner.Graph{hosted}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })

	c := dial(t, url, "tenant-a", pw["tenant-a"], "a")
	cs := newSaver(t, c, "a")
	d, err := runner.NewDispatcher(ctx, c.js, cs, runner.Names{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	chat, err := examples.Chat(graph.WithCheckpointer(cs), graph.WithDispatcher(d))
	if err != nil {
		t.Fatal(err)
	}
	out, err := chat.Invoke(ctx, examples.ChatState{Messages: []message.Message{message.Human("Hi! I'm Bob")}}, graph.Config{ThreadID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Messages[len(out.Messages)-1].Content; got != "Nice to meet you, Bob." {
		t.Fatalf("reply %q", got)
	}
	select {
	case e := <-a.errs:
		t.Fatalf("runner connection: %v", e)
	case e := <-c.errs:
		t.Fatalf("client connection: %v", e)
	default:
	}
}
