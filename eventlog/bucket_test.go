package eventlog_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// On a replicated bucket, a write acknowledged through one server is what
// the next read through any other server returns, and a revision read
// there is the one a conditional update succeeds with: reads go to the
// stream leader, never to a follower that has not applied the write yet.
// A bucket the library made with direct gets is switched when opened.
func TestReplicatedBucketReadsSeeEveryAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	c, js := natstest.Cluster(t)
	ctx := t.Context()
	// A bucket as jetstream's CreateKeyValue makes it: direct gets on.
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "b3", Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	kvs := make([]jetstream.KeyValue, 3)
	for i := range kvs {
		kv, st, err := eventlog.OpenBucket(ctx, c.ConnectNode(t, i), jetstream.KeyValueConfig{Bucket: "b3", Replicas: 3})
		if err != nil {
			t.Fatal(err)
		}
		if st.CachedInfo().Config.AllowDirect {
			t.Fatal("a bucket at 3 replicas allows direct gets")
		}
		kvs[i] = kv
	}
	for round := range 300 {
		w, r := kvs[round%3], kvs[(round+1)%3]
		want := strconv.Itoa(round)
		put(t, w, want)
		e, err := r.Get(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if string(e.Value()) != want {
			t.Fatalf("round %d: read %q through another server after %q was acknowledged", round, e.Value(), want)
		}
		updateWithRevision(t, r, want+"+", e.Revision())
	}
	// One replica keeps direct gets: there is no follower to lag.
	_, st, err := eventlog.OpenBucket(ctx, js, jetstream.KeyValueConfig{Bucket: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	if !st.CachedInfo().Config.AllowDirect {
		t.Fatal("a bucket at 1 replica does not allow direct gets")
	}
	_, ost, err := eventlog.OpenObjects(ctx, js, jetstream.ObjectStoreConfig{Bucket: "o3", Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ost.CachedInfo().Config.AllowDirect {
		t.Fatal("an object store at 3 replicas allows direct gets")
	}
}

// updateWithRevision updates key k to v on condition of revision rev, which
// must be the key's revision: the only refusal allowed is the replicated
// stream's "still applying the key's previous write" (10164), sent again.
func updateWithRevision(t *testing.T, kv jetstream.KeyValue, v string, rev uint64) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		_, err := kv.Update(t.Context(), "k", []byte(v), rev)
		var apiErr *jetstream.APIError
		if err == nil {
			return
		}
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequenceConstant || attempt == 100 {
			t.Fatalf("update with the revision %d just read: %v", rev, err)
		}
		time.Sleep(time.Millisecond) // nothing signals that the write was applied
	}
}

// put stores v at key k, sending it again while the stream does not answer
// (a leader being elected on a loaded machine): what is tested is what
// reads see once a write is acknowledged.
func put(t *testing.T, kv jetstream.KeyValue, v string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		_, err := kv.Put(t.Context(), "k", []byte(v))
		if err == nil {
			return
		}
		if !errors.Is(err, jetstream.ErrNoStreamResponse) || attempt == 20 {
			t.Fatalf("put %q: %v", v, err)
		}
	}
}
