// Package open picks a saver from one URL, for the guide's "Production
// Setup": the same program runs on memory in development and on a database
// in production by changing an environment variable.
//
//	s, err := open.Open(ctx, cmp.Or(os.Getenv("DATABASE_URL"), "memory://"))
//	if err != nil { ... }
//	defer s.Close(ctx)
//	chain, err := g.Compile(graph.WithCheckpointer(s))
//
// The URLs it understands:
//
//	memory://                       in-memory saver (nothing survives the process)
//	sqlite://PATH                   SQLite file at PATH (sqlite:///abs/path.db, sqlite://rel.db, sqlite://:memory:)
//	PATH or file:PATH               a bare file path or "file:" URI is a SQLite file too
//	postgres://... postgresql://... PostgreSQL; an extra schema=NAME query parameter picks the schema;
//	                                without connect_timeout (in the URL or PGCONNECT_TIMEOUT), connecting
//	                                gives up after DefaultConnectTimeout
//	nats://HOST:PORT                the JetStream saver on a NATS server; a query may name a tenant
//	                                and credential files: nats://HOST:PORT?tenant=a&creds=FILE (see NATS)
//	nats+embedded://DIR             the JetStream saver on an in-process NATS server storing in DIR
//	                                (nats+embedded:///abs/dir, nats+embedded://./rel/dir)
//
// Any of them takes retention parameters in its query, removed before the
// backend sees the URL: ttl=DURATION makes threads idle for longer than
// DURATION expire (deleted, as DeleteThread deletes; see
// eventstore.Retention), ttl_sweep=DURATION sets how often the sweeper
// looks for them (default a quarter of the TTL, at most an hour; "off":
// threads expire only when read). For example memory://?ttl=30m or
// postgres://host/db?schema=app&ttl=168h&ttl_sweep=1h.
//
// The returned saver is the backend's concrete type behind Saver, so
// optional capabilities (saver.Forker, saver.Pruner, ...) are still found
// by type assertion.
package open

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// Supported lists the URL forms Open accepts, as its errors print them.
const Supported = "memory://, sqlite://PATH (or a bare file path), postgres://..., postgresql://..., nats://HOST:PORT, nats+embedded://DIR"

// DefaultConnectTimeout bounds a connection attempt to PostgreSQL whose
// URL sets no connect_timeout (postgres.DefaultConnectTimeout).
const DefaultConnectTimeout = postgres.DefaultConnectTimeout

// Saver is a saver that releases what it holds (connections, files, an
// embedded server) with Close, as every saver of this module does.
type Saver interface {
	saver.Saver
	Close(ctx context.Context) error
}

// Open opens the saver rawURL names. Close it when done. An empty URL or
// an unknown scheme is saver.ErrInvalid, with the supported forms in the
// message.
func Open(ctx context.Context, rawURL string) (Saver, error) {
	s, err := open(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("open saver %q: %w", redact(rawURL), err)
	}
	return s, nil
}

func open(ctx context.Context, rawURL string) (Saver, error) {
	if rawURL == "" {
		return nil, saver.Invalid("saver url", "empty; supported: "+Supported)
	}
	rawURL, ret, err := takeRetention(rawURL)
	if err != nil {
		return nil, err
	}
	store := eventstore.Options{Retention: ret}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok { // a bare path or a file: URI
		return openSQLite(ctx, rawURL, store)
	}
	switch strings.ToLower(scheme) {
	case "memory":
		return memory.NewWith(memory.Config{Store: store}), nil
	case "sqlite":
		return openSQLite(ctx, rest, store)
	case "postgres", "postgresql":
		return openPostgres(ctx, rawURL, store)
	case "nats":
		return openNATS(ctx, rawURL, natsjs.Config{Retention: ret})
	case "nats+embedded":
		return openEmbeddedNATS(ctx, rest, natsjs.Config{Retention: ret})
	}
	return nil, saver.Invalid("saver url", fmt.Sprintf("unknown scheme %q; supported: %s", scheme, Supported))
}

func openSQLite(ctx context.Context, path string, store eventstore.Options) (Saver, error) {
	s, err := sqlite.Open(ctx, path, sqlite.Config{Store: store})
	if err != nil {
		return nil, err // not a nil *sqlite.Saver in the interface
	}
	return s, nil
}

// openPostgres takes the jetgraph-only schema parameter out of the URL (the
// server would reject it as an unknown setting) and connects.
func openPostgres(ctx context.Context, rawURL string, store eventstore.Options) (Saver, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, saver.Invalid("saver url", err.Error())
	}
	q := u.Query()
	cfg := postgres.Config{Schema: q.Get("schema"), Store: store}
	q.Del("schema")
	u.RawQuery = q.Encode()
	s, err := postgres.Connect(ctx, u.String(), cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// redact hides a password in rawURL, for error messages.
func redact(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		return u.Redacted()
	}
	return rawURL
}
