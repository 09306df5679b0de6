// Package sqlite is a jetgraph saver on SQLite, through modernc.org/sqlite
// (no cgo). Like every jetgraph saver it is event-sourced: each change to a
// thread is one row appended to an events table keyed by (thread, seq), the
// append is conditional on the thread's last sequence, and the rows are
// folded by the shared code in package event. A snapshots table keeps one
// folded snapshot per thread so cold reads do not replay the whole log, and
// it is replaced only when the events since it outweigh it, so storage grows
// linearly with what changed.
//
// Writes from one Saver are serialized inside it, so concurrent goroutines
// never see "database is locked"; other processes on the same file wait on
// SQLite's busy timeout.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Config configures a Saver. The zero value is usable.
type Config struct {
	// Store tunes the in-memory cache, retries and snapshots, and with
	// Store.Retention makes idle threads expire (eventstore.Retention).
	// Defaults to the eventstore defaults: threads are kept for ever.
	Store eventstore.Options
}

// Saver is a saver.Saver on SQLite. It is safe for concurrent use.
type Saver struct {
	*eventstore.Store
	log  *Log
	owns bool // Close closes db: FromConnString opened it
}

var _ saver.Saver = (*Saver)(nil)

// New returns a saver on db, a handle the caller opened with the "sqlite"
// driver of modernc.org/sqlite. Call Setup once before using it. For
// concurrent use from several processes, open db with a busy timeout and WAL
// (FromConnString shows how); within one process the saver serializes its
// writes itself. Closing db is the caller's business.
func New(db *sql.DB, cfg Config) *Saver {
	l := newLog(db)
	return &Saver{Store: eventstore.New(l, cfg.Store), log: l}
}

// FromConnString opens the SQLite database at path, creates its tables if
// needed and returns a saver that owns the handle (Close closes it). path is
// a file path ("checkpoints.db") or a "file:" URI; both may carry
// modernc.org/sqlite DSN parameters after "?". The database is put in WAL
// mode with synchronous=NORMAL (durable across crashes of the process; the
// last commits can be lost on power failure) and a 10 s busy timeout.
// "?_pragma=synchronous(FULL)" in path makes every commit wait for fsync
// (durable across power failure too); concurrent appends share commits, so
// they share those fsyncs.
// ":memory:" gives a private in-memory database on a single connection.
func FromConnString(ctx context.Context, path string) (*Saver, error) {
	return Open(ctx, path, Config{})
}

// Open is FromConnString with a Config.
func Open(ctx context.Context, path string, cfg Config) (*Saver, error) {
	if path == "" {
		return nil, saver.Invalid("sqlite path", "empty")
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	if isMemory(path) {
		db.SetMaxOpenConns(1) // every connection would be a different database
	}
	s := New(db, cfg)
	s.owns = true
	if err := s.Setup(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	return s, nil
}

// dsn adds the pragmas every connection needs to path. A synchronous
// pragma in path wins over the default.
func dsn(path string) string {
	params := "_pragma=busy_timeout(10000)"
	if !strings.Contains(strings.ToLower(path), "_pragma=synchronous") {
		params += "&_pragma=synchronous(NORMAL)"
	}
	if !isMemory(path) {
		params += "&_pragma=journal_mode(WAL)"
	}
	if strings.Contains(path, "?") {
		return path + "&" + params
	}
	return path + "?" + params
}

func isMemory(path string) bool {
	return path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
}

// Setup creates the saver's tables if they do not exist. It is safe to run
// again and from several processes.
func (s *Saver) Setup(ctx context.Context) error {
	if err := s.log.setup(ctx); err != nil {
		return err
	}
	return s.setupRetention(ctx)
}

// DB returns the database handle the saver uses.
func (s *Saver) DB() *sql.DB { return s.log.db }

// Close waits for the saver's work in flight and closes the database
// handle if FromConnString opened it.
func (s *Saver) Close(ctx context.Context) error {
	if err := s.Store.Close(ctx); err != nil {
		return err
	}
	if !s.owns {
		return nil
	}
	if err := s.log.db.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("close sqlite: %w", err)
	}
	return nil
}
