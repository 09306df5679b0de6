package projector

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/saver"
)

// Config configures a Projector. The zero value is usable.
type Config struct {
	// Bucket is the KV bucket of snapshots. Defaults to "jetgraph-snapshots".
	Bucket string
	// Durable is the name of the durable consumer. Projectors in several
	// processes with the same name share the work. Defaults to
	// "jetgraph-projector".
	Durable string
	// Storage is where the bucket keeps its values. Defaults to
	// jetstream.FileStorage.
	Storage jetstream.StorageType
	// Replicas is the number of copies of the bucket. Defaults to the
	// replicas of the event stream.
	Replicas int
	// MinSnapshotBytes is how many bytes of events must follow a snapshot
	// before the next one is taken. Defaults to 64 KiB.
	MinSnapshotBytes int
	// ChunkBytes is the largest KV value a snapshot is split into. Defaults
	// to a quarter of the server's max payload, at most 1 MiB.
	ChunkBytes int
	// MaxThreads bounds how many folded threads are kept in memory. Defaults
	// to 1024.
	MaxThreads int
	// Logger receives reports of skipped messages and unsaved snapshots.
	// Defaults to slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults(replicas int, maxPayload int64) Config {
	if c.Bucket == "" {
		c.Bucket = "jetgraph-snapshots"
	}
	if c.Durable == "" {
		c.Durable = "jetgraph-projector"
	}
	if c.Replicas == 0 {
		c.Replicas = replicas
	}
	if c.MinSnapshotBytes == 0 {
		c.MinSnapshotBytes = 64 << 10
	}
	if c.ChunkBytes == 0 {
		c.ChunkBytes = int(min(maxPayload/4, 1<<20))
	}
	if c.MaxThreads == 0 {
		c.MaxThreads = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// minChunkBytes is the smallest ChunkBytes.
const minChunkBytes = 1024

func (c Config) validate(maxPayload int64) error {
	if c.Bucket == "" || strings.Trim(c.Bucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return saver.Invalid("projector.Config.Bucket", fmt.Sprintf("%q is not a bucket name", c.Bucket))
	}
	if strings.ContainsAny(c.Durable, ".*> \t\r\n") {
		return saver.Invalid("projector.Config.Durable", fmt.Sprintf("%q is not a consumer name", c.Durable))
	}
	if c.ChunkBytes < minChunkBytes || int64(c.ChunkBytes) > maxPayload-1024 {
		return saver.Invalid("projector.Config.ChunkBytes", fmt.Sprintf("%d is not between 1 KiB and the max payload", c.ChunkBytes))
	}
	if c.MinSnapshotBytes < 0 || c.MaxThreads < 0 || c.Replicas < 0 {
		return saver.Invalid("projector.Config", "negative size")
	}
	return nil
}
