// Package postgres is a jetgraph saver on PostgreSQL, through
// github.com/jackc/pgx/v5. Like every jetgraph saver it is event-sourced:
// each change to a thread is one row appended to an events table keyed by
// (thread, seq), conditional on the thread's newest sequence, and the rows
// are folded by the shared code in package event. A snapshots table keeps
// one folded snapshot per thread so cold reads do not replay the whole log,
// replaced only when the events since it outweigh it, so storage grows
// linearly with what changed.
//
// The tables live in one schema (Config.Schema) and are created by
// versioned migrations embedded in the binary, applied by Saver.Setup.
// Several processes may share a schema: a write that loses a race to another
// process fails with saver.ErrConflict and stores nothing.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Config configures a Saver. The zero value is usable.
type Config struct {
	// Schema holds the saver's tables; Setup creates it if needed. Defaults
	// to "public".
	Schema string
	// Store tunes the in-memory cache, retries and snapshots, and with
	// Store.Retention makes idle threads expire (eventstore.Retention).
	// Defaults to the eventstore defaults: threads are kept for ever.
	Store eventstore.Options
}

func (c *Config) validate() error {
	if c.Schema == "" {
		c.Schema = "public"
	}
	if len(c.Schema) > 63 { // PostgreSQL would silently truncate it
		return saver.Invalid("Config.Schema", "longer than 63 bytes")
	}
	return nil
}

// Saver is a saver.Saver on PostgreSQL. It is safe for concurrent use.
type Saver struct {
	*eventstore.Store
	log    *Log
	pool   *pgxpool.Pool
	schema string
	owns   bool // Close closes pool: Connect opened it
}

var _ saver.Saver = (*Saver)(nil)

// New returns a saver on pool, which the caller built and closes. Call
// Setup before first use (once per schema, or on every start: it is
// idempotent).
func New(pool *pgxpool.Pool, cfg Config) (*Saver, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := newLog(pool, cfg.Schema)
	return &Saver{Store: eventstore.New(withActivity(l, cfg.Schema), cfg.Store), log: l, pool: pool, schema: cfg.Schema}, nil
}

// DefaultConnectTimeout bounds each connection attempt of a pool that
// Connect opens when uri sets no connect_timeout (and PGCONNECT_TIMEOUT is
// unset): without it, a server that accepts connections and never answers
// makes every connect wait as long as the caller's context allows.
const DefaultConnectTimeout = 10 * time.Second

// Connect opens a pool to uri (a postgres:// URL or a libpq key=value
// string), applies the migrations and returns a saver that owns the pool.
// A connection attempt gives up after DefaultConnectTimeout unless uri
// says otherwise.
func Connect(ctx context.Context, uri string, cfg Config) (*Saver, error) {
	pcfg, err := pgxpool.ParseConfig(uri)
	if err != nil {
		return nil, saver.Invalid("postgres connection string", err.Error())
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	s, err := New(pool, cfg)
	if err == nil {
		err = s.Setup(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owns = true
	return s, nil
}

// FromConnString is Connect with the default Config: the tables live in
// the "public" schema.
func FromConnString(ctx context.Context, uri string) (*Saver, error) {
	return Connect(ctx, uri, Config{})
}

// Pool returns the pool the saver uses.
func (s *Saver) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema holding the saver's tables.
func (s *Saver) Schema() string { return s.schema }

// Close waits for the saver's work in flight and closes the pool if
// Connect opened it.
func (s *Saver) Close(ctx context.Context) error {
	if err := s.Store.Close(ctx); err != nil {
		return err
	}
	if s.owns {
		s.pool.Close()
	}
	return nil
}

// table returns the quoted, schema-qualified name of one of the tables.
func table(schema, name string) string {
	return pgx.Identifier{schema, name}.Sanitize()
}
