package natsjs

import (
	"log/slog"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/projector"
)

// Config configures a Saver. The zero value is usable.
type Config struct {
	// Log configures the event stream. Defaults to eventlog's defaults
	// (stream JETGRAPH, subjects jetgraph.thread.>, file storage, 1 replica).
	Log eventlog.Config
	// Projector configures the snapshot bucket and its projector. Defaults
	// to projector's defaults; Replicas follows Log.Replicas.
	Projector projector.Config
	// NoProjector leaves the projector to another process: this saver only
	// reads the snapshots. Defaults to false: New starts a projector.
	NoProjector bool
	// MaxThreads bounds how many folded threads the saver keeps in memory.
	// Defaults to 4096.
	MaxThreads int
	// Logger receives reports of corrupt events and unreadable snapshots.
	// Defaults to slog.Default().
	Logger *slog.Logger
}
