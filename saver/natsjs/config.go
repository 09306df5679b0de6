package natsjs

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Config configures a Saver. The zero value is usable.
type Config struct {
	// Log configures the event stream. Defaults to eventlog's defaults
	// (stream JETGRAPH, subjects jetgraph.thread.>, file storage, 1 replica).
	Log eventlog.Config
	// Projector configures the snapshot bucket, the snapshot policy
	// (MinSnapshotBytes) and, with SnapshotBy ByProjector, the projector.
	// Defaults to projector's defaults; Replicas follows Log.Replicas.
	Projector projector.Config
	// BlobBucket is the Object Store bucket that keeps large values out of
	// line, so that values far larger than the server's max payload are
	// stored. Its storage and replicas follow Log's. Defaults to
	// "jetgraph-blobs".
	BlobBucket string
	// SnapshotBy says who writes the snapshot bucket. Defaults to ByWriter.
	SnapshotBy SnapshotBy
	// MaxThreads bounds how many folded threads the saver keeps in memory.
	// Defaults to 4096.
	MaxThreads int
	// MaxCacheBytes bounds the folded threads the saver keeps in memory by
	// their stored bytes (eventstore.Options.MaxCacheBytes). Defaults to
	// eventstore.DefaultMaxCacheBytes.
	MaxCacheBytes int64
	// Logger receives reports of corrupt events and unreadable snapshots.
	// Defaults to slog.Default().
	Logger *slog.Logger
	// Retention makes threads idle for longer than a TTL expire: they are
	// deleted by a sweeper (and by the first fresh read that finds them
	// idle); see eventstore.Retention, and ttl.go for why the stream's own
	// age limits cannot do it. The zero value keeps threads for ever.
	Retention eventstore.Retention
	// Tenant, when set, names every stream, subject and bucket of the
	// saver after it, in the fields above left empty, so that tenants
	// sharing a NATS account never share one (see TenantNames). Defaults
	// to none: the default names.
	Tenant string
}

// TenantNames returns the names a saver with Config.Tenant tenant uses:
// stream JETGRAPH_<tenant>_EVENTS on subjects
// jetgraph.tenant.<tenant>.thread.>, snapshot bucket
// jetgraph-<tenant>-snapshots and blob bucket jetgraph-<tenant>-blobs.
// The runners of package runner add theirs (runner.Names.ForTenant).
func TenantNames(tenant string) Config {
	return Config{Tenant: tenant}.withTenant()
}

// withTenant fills the names c leaves empty from c.Tenant.
func (c Config) withTenant() Config {
	if c.Tenant == "" {
		return c
	}
	c.Log = c.Log.ForTenant(c.Tenant)
	if c.Projector.Bucket == "" {
		c.Projector.Bucket = "jetgraph-" + c.Tenant + "-snapshots"
	}
	if c.BlobBucket == "" {
		c.BlobBucket = "jetgraph-" + c.Tenant + "-blobs"
	}
	return c
}

// InboxPrefix is the prefix of the reply subjects of a tenant's
// connections (nats.CustomInboxPrefix): _INBOX_jetgraph_<tenant>. A
// tenant's permissions allow subscribing to <InboxPrefix(tenant)>.> only,
// so no tenant can read the replies another receives. Connect sets it
// when Config.Tenant is set; connections made elsewhere (FromConn, New)
// need it set by their maker.
func InboxPrefix(tenant string) string { return "_INBOX_jetgraph_" + tenant }

// Tenant returns the saver's tenant, "" for none.
func (s *Saver) Tenant() string { return s.cfg.Tenant }

// SnapshotBy names who keeps a saver's snapshot bucket up to date. Reads
// never depend on it: they start from the newest snapshot and fold the
// events after it, so any choice gives the same checkpoints.
type SnapshotBy string

// Who writes snapshots.
const (
	// ByWriter: the saver snapshots each thread it writes, from the state it
	// has already folded, when the snapshot policy says one is due. Nothing
	// else reads the stream. The default.
	ByWriter SnapshotBy = "writer"
	// ByProjector: the saver runs a projector.Projector in its process, a
	// durable consumer that folds every event of the stream, whoever wrote
	// it, and snapshots for all threads. Projectors in several processes
	// share the work.
	ByProjector SnapshotBy = "projector"
	// ByOther: the saver only reads snapshots; a projector in another
	// process (or other writers) keeps them.
	ByOther SnapshotBy = "other"
)

func (c Config) checkBlobBucket() error {
	if c.BlobBucket == "" || strings.Trim(c.BlobBucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return saver.Invalid("natsjs.Config.BlobBucket", fmt.Sprintf("%q is not a bucket name", c.BlobBucket))
	}
	return nil
}

func (b SnapshotBy) check() error {
	switch b {
	case ByWriter, ByProjector, ByOther:
		return nil
	}
	return saver.Invalid("natsjs.Config.SnapshotBy", fmt.Sprintf("%q: want %q, %q or %q", string(b), ByWriter, ByProjector, ByOther))
}
