package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	saveropen "github.com/jetgraph/jetgraph/saver/open"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// backend is one saver under test, with what the figures need from it.
type backend struct {
	saver saver.Saver
	// bytes returns the bytes the store holds.
	bytes func(ctx context.Context) (uint64, error)
	// appends returns how many events the store has appended so far.
	appends func(ctx context.Context) (uint64, error)
	// eventsRead counts the events the saver has read from its store so
	// far; nil when the saver does not say.
	eventsRead func() uint64
	// close closes the saver and keeps its data, for another open of the
	// same directory; open's close also drops the data.
	close func(ctx context.Context) error
	// drop removes the data kept outside the directory (a PostgreSQL
	// schema), before close; nil when there is none.
	drop func(ctx context.Context) error
}

// openers holds one case per saver.
var openers = map[string]func(ctx context.Context, dir string) (*backend, error){
	"memory": openMemory,
	// natsjs as it comes: the writer snapshots the threads it writes.
	"natsjs": openNATS,
	// natsjs running a projector in process, a consumer that folds every
	// event of the stream: shows what the projector costs on a shared
	// machine.
	"natsjs-projector": openNATSWithProjector,
	// natsjs on a 3-node cluster on loopback ports, stream and snapshot
	// bucket at 3 replicas; natsjs-cluster-r1 is the same cluster with 1
	// replica, to tell the replication from the network hop.
	"natsjs-r3":         openNATSCluster(3),
	"natsjs-cluster-r1": openNATSCluster(1),
	"sqlite":            openSQLite,
	"postgres":          openPostgres,
}

func saverNames() []string {
	var names []string
	for n := range openers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// open opens a fresh, empty saver of the named kind in its own directory
// under dir.
func open(ctx context.Context, name, dir string) (*backend, error) {
	opener, ok := openers[name]
	if !ok {
		return nil, fmt.Errorf("unknown saver %q (have %v)", name, saverNames())
	}
	sub, err := os.MkdirTemp(dir, name+"-")
	if err != nil {
		return nil, err
	}
	b, err := opener(ctx, sub)
	if err != nil {
		return nil, err
	}
	inner := b.close
	b.close = func(ctx context.Context) error {
		var errs []error
		if b.drop != nil {
			errs = append(errs, b.drop(ctx))
		}
		errs = append(errs, inner(ctx))
		_ = os.RemoveAll(sub)
		return errors.Join(errs...)
	}
	return b, nil
}

// openAt opens the named saver on the data in sub (empty at first); its
// close keeps the data for the next openAt.
func openAt(ctx context.Context, name, sub string) (*backend, error) {
	opener, ok := openers[name]
	if !ok {
		return nil, fmt.Errorf("unknown saver %q (have %v)", name, saverNames())
	}
	return opener(ctx, sub)
}

// removeAt drops what openAt kept in sub.
func removeAt(ctx context.Context, name, sub string) error {
	defer os.RemoveAll(sub)
	b, err := openAt(ctx, name, sub)
	if err != nil {
		return err
	}
	var errs []error
	if b.drop != nil {
		errs = append(errs, b.drop(ctx))
	}
	return errors.Join(append(errs, b.close(ctx))...)
}

// eventSourced is what every saver here offers: the event log under it and
// the bytes it stores.
type eventSourced interface {
	saver.Saver
	Log() eventstore.Log
	StorageBytes(ctx context.Context) (uint64, error)
}

// newBackend measures s: bytes as it reports them, appends as the events
// its log holds.
func newBackend(s eventSourced, closeFn func(context.Context) error) *backend {
	return &backend{
		saver: s,
		bytes: s.StorageBytes,
		appends: func(ctx context.Context) (uint64, error) {
			var n uint64
			for thread, err := range s.Log().Threads(ctx) {
				if err != nil {
					return 0, err
				}
				for _, err := range s.Log().Read(ctx, thread, 0) {
					if err != nil {
						return 0, err
					}
					n++
				}
			}
			return n, nil
		},
		close: closeFn,
	}
}

// memorySaver reports the bytes of its events' payloads: it has no disk.
type memorySaver struct{ *memory.Saver }

func (m memorySaver) StorageBytes(ctx context.Context) (uint64, error) {
	var size uint64
	for thread, err := range m.Log().Threads(ctx) {
		if err != nil {
			return 0, err
		}
		for ev, err := range m.Events(ctx, thread) {
			if err != nil {
				return 0, err
			}
			size += uint64(len(ev.Payload))
		}
	}
	return size, nil
}

func openMemory(context.Context, string) (*backend, error) {
	return newBackend(memorySaver{memory.New()}, func(context.Context) error { return nil }), nil
}

// natsSaver reports stream and snapshot bytes once its snapshots are
// taken (by the writer in the background, or by its projector), so that the
// snapshots it owes are counted.
type natsSaver struct{ *natsjs.Saver }

func (n natsSaver) StorageBytes(ctx context.Context) (uint64, error) {
	if err := n.Flush(ctx); err != nil {
		return 0, err
	}
	if p := n.Projector(); p != nil {
		if err := p.CatchUp(ctx); err != nil {
			return 0, err
		}
	}
	return n.Saver.StorageBytes(ctx)
}

func openNATS(ctx context.Context, dir string) (*backend, error) {
	return openNATSWith(ctx, dir, natsjs.Config{})
}

func openNATSWithProjector(ctx context.Context, dir string) (*backend, error) {
	return openNATSWith(ctx, dir, natsjs.Config{SnapshotBy: natsjs.ByProjector})
}

func openNATSWith(ctx context.Context, dir string, cfg natsjs.Config) (*backend, error) {
	s, err := saveropen.Embedded(ctx, filepath.Join(dir, "nats"), cfg)
	if err != nil {
		return nil, err
	}
	b := newBackend(natsSaver{s}, s.Close)
	b.eventsRead = s.EventLog().MessagesRead
	return b, nil
}

// openNATSCluster opens natsjs on a 3-node cluster started on loopback
// ports, with the stream and the snapshot bucket at the given replicas.
func openNATSCluster(replicas int) func(ctx context.Context, dir string) (*backend, error) {
	return func(ctx context.Context, dir string) (*backend, error) {
		c, err := natsembed.StartCluster(ctx, filepath.Join(dir, "cluster"), 3)
		if err != nil {
			return nil, err
		}
		cfg := natsjs.Config{Log: eventlog.Config{Replicas: replicas}, Projector: projector.Config{Replicas: replicas}}
		s, err := natsjs.Connect(ctx, c.URL(), cfg)
		if err != nil {
			return nil, errors.Join(err, c.Shutdown(context.WithoutCancel(ctx)))
		}
		b := newBackend(natsSaver{s}, func(ctx context.Context) error {
			return errors.Join(s.Close(ctx), c.Shutdown(ctx))
		})
		b.eventsRead = s.EventLog().MessagesRead
		return b, nil
	}
}

func openSQLite(ctx context.Context, dir string) (*backend, error) {
	s, err := sqlite.FromConnString(ctx, filepath.Join(dir, "checkpoints.db"))
	if err != nil {
		return nil, err
	}
	return newBackend(s, s.Close), nil
}

// localPostgres is a throwaway server from the local PostgreSQL install,
// started on first use when no server URL is set, and stopped by run.
var localPostgres struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

// postgresURL is JETGRAPH_BENCH_POSTGRES_URL, else TEST_DATABASE_URL, else
// the URL of a throwaway local server.
func postgresURL() (string, error) {
	if url := cmp.Or(os.Getenv("JETGRAPH_BENCH_POSTGRES_URL"), os.Getenv("TEST_DATABASE_URL")); url != "" {
		return url, nil
	}
	localPostgres.once.Do(func() { localPostgres.srv, localPostgres.err = pgtest.StartCrashSafe() })
	if localPostgres.err != nil {
		return "", fmt.Errorf("no JETGRAPH_BENCH_POSTGRES_URL set and no local PostgreSQL to start: %w", localPostgres.err)
	}
	return localPostgres.srv.URL(), nil
}

// stopLocalPostgres stops the throwaway server, if one was started.
func stopLocalPostgres() error {
	if localPostgres.srv == nil {
		return nil
	}
	return localPostgres.srv.Stop()
}

// openPostgres connects to the server postgresURL names with a schema
// named after dir (the same dir, the same schema), dropped by drop.
func openPostgres(ctx context.Context, dir string) (*backend, error) {
	url, err := postgresURL()
	if err != nil {
		return nil, err
	}
	schema := schemaFor(dir)
	s, err := postgres.Connect(ctx, url, postgres.Config{Schema: schema})
	if err != nil {
		return nil, err
	}
	b := newBackend(s, s.Close)
	b.drop = func(ctx context.Context) error {
		_, err := s.Pool().Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	return b, nil
}

// schemaFor names the schema of the data directory dir: the directory's
// name (unique, made by os.MkdirTemp) in lower-case letters, digits and
// underscores.
func schemaFor(dir string) string {
	name := []byte("jetgraph_bench_" + strings.ToLower(filepath.Base(dir)))
	for i, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			name[i] = '_'
		}
	}
	return string(name[:min(len(name), 63)])
}
