package eventlog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SetupTimeout bounds creating or updating a stream or bucket when the
// caller's context does not end sooner (and the log's Timeout is not
// longer). On a cluster, a stream's settings change through the meta
// leader and then the stream's own group, which takes longer than a
// request, and is done once, when a saver, projector or runner starts.
const SetupTimeout = 30 * time.Second

// setupAttempt bounds one attempt of EnsureStream.
const setupAttempt = 5 * time.Second

// EnsureStream creates the stream cfg describes, or updates it to match,
// and waits until it has a leader (WaitForLeader). An attempt that gets no
// answer within a few seconds is made again, until ctx ends: the request
// is idempotent, and in a cluster its answer can be lost while the meta
// leader or the stream's leader changes.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, setupAttempt)
		st, err := js.CreateOrUpdateStream(actx, cfg)
		cancel()
		if err == nil {
			return st, WaitForLeader(ctx, st)
		}
		if ctx.Err() != nil || !timedOut(err) {
			return nil, err
		}
	}
}

// WaitForLeader returns once a replicated stream has a leader, polling
// its info: a stream just created elects one a moment later, and until then
// every write to it goes unanswered ("no response from stream"). Nothing
// signals the election to a client without the advisory subjects'
// permissions. A stream of one replica returns at once; ctx bounds the
// wait.
func WaitForLeader(ctx context.Context, st jetstream.Stream) error {
	info := st.CachedInfo()
	if info == nil || info.Config.Replicas <= 1 {
		return nil
	}
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		if info != nil && info.Cluster != nil && info.Cluster.Leader != "" {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("stream %s has no leader: %w", st.CachedInfo().Config.Name, ctx.Err())
		case <-t.C:
		}
		var err error
		if info, err = st.Info(ctx); err != nil {
			info = nil
		}
	}
}

// OpenBucket creates the key-value bucket cfg names, or updates it, and
// returns it with its stream. Only Bucket, Description, History, Storage and
// Replicas of cfg are used.
//
// It builds the bucket's stream itself rather than through the library's
// CreateOrUpdateKeyValue, for one reason: a replicated stream that allows
// direct gets lets a follower answer a read before it has applied the
// newest writes, so a read could miss a write acknowledged before it was
// made (a snapshot manifest's revision, a thread's binding). A bucket with
// more than one replica is made without direct gets, as the event stream
// is, so every read goes to the stream leader; the library's own calls
// would turn direct gets back on for every bucket they touch.
func OpenBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, jetstream.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, SetupTimeout)
	defer cancel()
	history := max(int64(cfg.History), 1)
	replicas := max(cfg.Replicas, 1)
	st, err := EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:              "KV_" + cfg.Bucket,
		Description:       cfg.Description,
		Subjects:          []string{"$KV." + cfg.Bucket + ".>"},
		MaxMsgsPerSubject: history,
		MaxBytes:          -1,
		MaxMsgSize:        -1,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		Storage:           cfg.Storage,
		Replicas:          replicas,
		AllowRollup:       true,
		DenyDelete:        true,
		Duplicates:        2 * time.Minute,
		AllowDirect:       replicas == 1,
		Discard:           jetstream.DiscardNew,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create bucket %s: %w", cfg.Bucket, Refused(js.Conn(), err, "KV_"+cfg.Bucket))
	}
	// The handle reads the stream's settings once: made after the update,
	// it uses direct gets exactly when the stream allows them.
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if err != nil {
		return nil, nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	return kv, st, nil
}

// OpenObjects creates the object store cfg names, or updates it, and
// returns it with its stream, for the reason OpenBucket gives: with more
// than one replica, an object's description is read from the stream
// leader, so an object stored just before an event that refers to it is
// found by whoever reads the event. Only Bucket, Description, Storage and
// Replicas of cfg are used.
func OpenObjects(ctx context.Context, js jetstream.JetStream, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, jetstream.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, SetupTimeout)
	defer cancel()
	replicas := max(cfg.Replicas, 1)
	st, err := EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:        "OBJ_" + cfg.Bucket,
		Description: cfg.Description,
		Subjects:    []string{"$O." + cfg.Bucket + ".C.>", "$O." + cfg.Bucket + ".M.>"},
		MaxBytes:    -1,
		Storage:     cfg.Storage,
		Replicas:    replicas,
		Discard:     jetstream.DiscardNew,
		AllowRollup: true,
		AllowDirect: replicas == 1,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create object bucket %s: %w", cfg.Bucket, Refused(js.Conn(), err, "OBJ_"+cfg.Bucket))
	}
	obs, err := js.ObjectStore(ctx, cfg.Bucket)
	if err != nil {
		return nil, nil, fmt.Errorf("open object bucket %s: %w", cfg.Bucket, err)
	}
	return obs, st, nil
}
