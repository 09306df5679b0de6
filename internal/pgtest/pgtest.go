// Package pgtest gives tests a real PostgreSQL server. It uses
// TEST_DATABASE_URL when set; otherwise it starts a throwaway server from
// the local install (initdb and pg_ctl, found on PATH or under
// /usr/lib/postgresql/*/bin) in a temporary directory, on a free loopback
// port, the first time a test asks for it, and stops it when the test
// binary ends. As root, the server runs as the "postgres" user.
//
// Without a server (no URL and no binaries) the tests that need one skip,
// unless CI is set: then they fail.
//
// A package that uses it wires it up in TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var shared struct {
	once   sync.Once
	url    string
	srv    *Server
	pool   *pgxpool.Pool
	err    error
	inMain bool
}

// Main runs the package's tests and then stops the server and pool they
// used. It returns m.Run's exit code.
func Main(m *testing.M) int {
	shared.inMain = true
	code := m.Run()
	if shared.pool != nil {
		shared.pool.Close()
	}
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

func start() {
	if !shared.inMain {
		shared.err = fmt.Errorf("pgtest: call pgtest.Main from TestMain so the server is stopped")
		return
	}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		shared.url = u
	} else {
		shared.srv, shared.err = Start()
		if shared.err != nil {
			return
		}
		shared.url = shared.srv.url
	}
	cfg, err := pgxpool.ParseConfig(shared.url)
	if err != nil {
		shared.err = fmt.Errorf("pgtest: parse database url: %w", err)
		return
	}
	cfg.MaxConns = 16
	shared.pool, shared.err = pgxpool.NewWithConfig(context.Background(), cfg)
}

// URL returns the URL of the test server. Without one it skips t, or fails
// it when CI is set.
func URL(t testing.TB) string {
	t.Helper()
	shared.once.Do(start)
	if shared.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres required in CI: %v", shared.err)
		}
		t.Skipf("no postgres (set TEST_DATABASE_URL or install postgresql): %v", shared.err)
	}
	return shared.url
}

// Pool returns a connection pool to the test server, shared by the tests of
// the binary and closed by Main.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	URL(t)
	return shared.pool
}

// Schema returns the name of a schema no other test uses and drops it, with
// everything in it, when t ends. It does not create it.
func Schema(t testing.TB) string {
	t.Helper()
	pool := Pool(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		// t.Context is done by now: clean up on a fresh one.
		_, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}
