package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Saver is the JetStream saver. It is safe for concurrent use; Close it
// when done.
type Saver struct {
	*eventstore.Store
	log   *eventlog.Log
	snaps *projector.Snapshots
	blobs *blobStore
	proj  *projector.Projector // nil with Config.NoProjector
	cfg   Config

	onClose []func(context.Context) error
}

var (
	_ saver.Saver     = (*Saver)(nil)
	_ saver.Forker    = (*Saver)(nil)
	_ saver.Committer = (*Saver)(nil)
)

// New creates (or updates) the stream and the snapshot bucket, starts the
// projector if cfg.SnapshotBy is ByProjector, and returns the saver. js
// belongs to the caller and must outlive the saver.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Saver, error) {
	if cfg.Tenant != "" {
		if err := eventlog.CheckTenant(cfg.Tenant); err != nil {
			return nil, err
		}
		cfg = cfg.withTenant()
	}
	if cfg.SnapshotBy == "" {
		cfg.SnapshotBy = ByWriter
	}
	if err := cfg.SnapshotBy.check(); err != nil {
		return nil, err
	}
	if cfg.BlobBucket == "" {
		cfg.BlobBucket = "jetgraph-blobs"
	}
	if err := cfg.checkBlobBucket(); err != nil {
		return nil, err
	}
	l, err := eventlog.New(ctx, js, cfg.Log)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Projector.Logger == nil {
		cfg.Projector.Logger = cfg.Logger
	}
	s := &Saver{log: l, cfg: cfg}
	if s.blobs, err = openBlobs(ctx, js, cfg.BlobBucket, l.Config()); err != nil {
		return nil, err
	}
	if cfg.SnapshotBy == ByProjector {
		s.proj, err = projector.New(ctx, l, cfg.Projector)
		if err == nil {
			s.snaps = s.proj.Snapshots()
			err = s.proj.Start(ctx)
		}
	} else {
		s.snaps, err = projector.OpenSnapshots(ctx, l, cfg.Projector)
	}
	if err != nil {
		return nil, err
	}
	sl := &snapshotLog{Log: l, blobStore: s.blobs, snaps: s.snaps, saver: s}
	var log eventstore.Log = sl
	if cfg.SnapshotBy == ByWriter {
		log = &writerSnapshotLog{sl}
	}
	s.Store = eventstore.New(log, eventstore.Options{
		MaxThreads:           cfg.MaxThreads,
		MaxCacheBytes:        cfg.MaxCacheBytes,
		MinSnapshotBytes:     cfg.Projector.MinSnapshotBytes,
		SnapshotInBackground: true,
		Logger:               cfg.Logger,
		Retention:            cfg.Retention,
	})
	return s, nil
}

// snapshotLog is the event log with the snapshot bucket as the starting
// point of cold reads, and the blob bucket for values kept out of line. It
// accepts appends up to the server's max payload less room for headers
// (eventstore.AppendLimiter).
type snapshotLog struct {
	*eventlog.Log
	*blobStore
	snaps *projector.Snapshots
	saver *Saver
}

var (
	_ eventstore.Truncater      = (*snapshotLog)(nil)
	_ eventstore.BlobStore      = (*snapshotLog)(nil)
	_ eventstore.AppendLimiter  = (*snapshotLog)(nil)
	_ eventstore.SnapshotLoader = (*snapshotLog)(nil)
)

// Truncate implements eventstore.Truncater: it drops the thread's events
// below before (see eventlog.Log.Truncate) and replaces the thread's
// snapshot with its state right after the event at before (the tombstone
// or seed that made them unnecessary), so that no snapshot in the bucket
// holds what the dropped events held. It does so whoever keeps snapshots
// (Config.SnapshotBy): a deleted thread must not be served from a
// snapshot until a projector gets there.
func (l *snapshotLog) Truncate(ctx context.Context, thread string, before uint64) error {
	if err := l.Log.Truncate(ctx, thread, before); err != nil {
		return err
	}
	t, err := l.Log.Replay(ctx, thread, nil, before, func(err error) {
		l.saver.cfg.Logger.Error("jetgraph: skipping corrupt event", "thread", thread, "err", err)
	})
	if err != nil || t.Seq == 0 {
		return err // an empty thread: nothing to snapshot
	}
	b, err := t.Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot of thread %q at %d: %w", thread, t.Seq, err)
	}
	return l.snaps.Truncate(ctx, thread, t.Seq, b)
}

// writerSnapshotLog also has the store write snapshots (ByWriter).
type writerSnapshotLog struct{ *snapshotLog }

// SaveSnapshot implements eventstore.SnapshotSaver.
func (l *writerSnapshotLog) SaveSnapshot(ctx context.Context, thread string, seq uint64, snapshot []byte) error {
	return l.snaps.Save(ctx, thread, seq, snapshot)
}

// LoadSnapshot implements eventstore.SnapshotLoader. A snapshot that cannot
// be read is skipped with a warning: the log alone gives the same state.
func (l *snapshotLog) LoadSnapshot(ctx context.Context, thread string) ([]byte, error) {
	b, _, err := l.snaps.Load(ctx, thread)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		l.saver.cfg.Logger.Warn("jetgraph: reading without snapshot", "thread", thread, "err", err)
		return nil, nil
	}
	return b, nil
}

// EventLog returns the thread event log.
func (s *Saver) EventLog() *eventlog.Log { return s.log }

// Projector returns the projector this saver runs; nil unless
// Config.SnapshotBy is ByProjector.
func (s *Saver) Projector() *projector.Projector { return s.proj }

// Snapshots returns the snapshot bucket.
func (s *Saver) Snapshots() *projector.Snapshots { return s.snaps }

// Close stops the projector and releases what Connect or FromConn
// opened. The JetStream handle given to New stays open.
func (s *Saver) Close(ctx context.Context) error {
	errs := []error{s.Store.Close(ctx)} // stops the retention sweeper, flushes snapshots
	if s.proj != nil {
		errs = append(errs, s.proj.Stop(ctx))
	}
	for i := len(s.onClose) - 1; i >= 0; i-- {
		errs = append(errs, s.onClose[i](ctx))
	}
	s.onClose = nil
	return errors.Join(errs...)
}

// Tail yields the thread's events after sequence after, then each new one
// as it is appended, until ctx ends.
func (s *Saver) Tail(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return s.log.Tail(ctx, thread, after)
}

// StorageBytes returns the bytes the server reports for the event stream,
// the snapshot bucket and the blob bucket.
func (s *Saver) StorageBytes(ctx context.Context) (uint64, error) {
	var total uint64
	for _, st := range []jetstream.Stream{s.log.Stream(), s.snaps.Stream(), s.blobs.stream} {
		info, err := st.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("storage of %s: %w", st.CachedInfo().Config.Name, err)
		}
		total += info.State.Bytes
	}
	return total, nil
}
