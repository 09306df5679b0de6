package open_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// setup opens rawURL and closes the saver when t ends.
func setup(t *testing.T, rawURL string) saver.Saver {
	t.Helper()
	s, err := open.Open(t.Context(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

// roundTrip stores a checkpoint and reads it back.
func roundTrip(t *testing.T, s saver.Saver) {
	t.Helper()
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(""), TS: time.Now().UTC(), ChannelValues: map[string][]byte{"v": []byte("1")}, ChannelVersions: map[string]uint64{"v": 1}}
	cfg, err := s.Put(t.Context(), saver.PutOp{Config: saver.Config{ThreadID: "thread-" + cp.ID}, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceInput, Step: -1}, NewVersions: map[string]uint64{"v": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTuple(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
}

func TestSaverPicksTheBackendByURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		url  string
		want func(saver.Saver) bool
	}{
		{"memory://", is[*memory.Saver]},
		{"sqlite://" + filepath.Join(dir, "a.db"), is[*sqlite.Saver]},
		{"sqlite://:memory:", is[*sqlite.Saver]},
		{filepath.Join(dir, "bare.db"), is[*sqlite.Saver]},
		{"file:" + filepath.Join(dir, "uri.db"), is[*sqlite.Saver]},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			t.Parallel()
			s := setup(t, c.url)
			if !c.want(s) {
				t.Fatalf("%s opened a %T", c.url, s)
			}
			roundTrip(t, s)
		})
	}
}

func is[T saver.Saver](s saver.Saver) bool {
	_, ok := s.(T)
	return ok
}

func TestSaverOpensSQLiteRelativePaths(t *testing.T) {
	t.Chdir(t.TempDir()) // not parallel: changes the working directory
	roundTrip(t, setup(t, "sqlite://rel.db"))
	roundTrip(t, setup(t, "checkpoints.db"))
	for _, name := range []string{"rel.db", "checkpoints.db"} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s not created in the working directory: %v", name, err)
		}
	}
}

func TestSaverOpensPostgresWithASchema(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	for _, scheme := range []string{"postgres", "postgresql"} {
		u, err := url.Parse(pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		u.Scheme = scheme
		q := u.Query()
		q.Set("schema", schema)
		u.RawQuery = q.Encode()
		s := setup(t, u.String())
		ps, ok := s.(*postgres.Saver)
		if !ok || ps.Schema() != schema {
			t.Fatalf("%s opened %T on schema %q, want *postgres.Saver on %q", u, s, ps.Schema(), schema)
		}
		roundTrip(t, s)
	}
}

func TestSaverRejectsUnknownSchemesListingTheSupportedOnes(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"redis://localhost", ""} {
		_, err := open.Open(t.Context(), u)
		if !errors.Is(err, saver.ErrInvalid) {
			t.Fatalf("%q: got %v, want ErrInvalid", u, err)
		}
		for _, want := range []string{"memory://", "sqlite://", "postgres://", "nats://"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %q does not list %s", u, err, want)
			}
		}
	}
}

func TestSaverHidesPostgresPasswordsInErrors(t *testing.T) {
	t.Parallel()
	_, err := open.Open(t.Context(), "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v, want an error without the password", err)
	}
}

func TestSaverOpensEmbeddedAndRemoteNATS(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nats")
	s := setup(t, "nats+embedded://"+dir)
	if !is[*natsjs.Saver](s) {
		t.Fatalf("nats+embedded opened a %T", s)
	}
	roundTrip(t, s)

	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	remote := setup(t, srv.ClientURL())
	if !is[*natsjs.Saver](remote) {
		t.Fatalf("%s opened a %T", srv.ClientURL(), remote)
	}
	roundTrip(t, remote)
}
