package open_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver/open"
)

// FuzzSaverURL opens arbitrary URLs: open.Open returns a saver or an
// error, never panics and never hangs. So that it never reaches a real
// host or writes outside a temporary directory, confine rewrites each
// input before opening it: network addresses become 127.0.0.1:1 (refused
// at once) and file paths land under the fuzz target's directory. A new
// scheme in open.Open needs a case in confine.
func FuzzSaverURL(f *testing.F) {
	// The seed corpus is in testdata/fuzz/FuzzSaverURL.
	dir := f.TempDir()
	for _, sub := range []string{"sqlite", "nats"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u := confine(raw, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s, err := open.Open(ctx, u)
			if err != nil {
				if s != nil {
					t.Errorf("%q: an error (%v) with a saver", u, err)
				}
				return
			}
			if s == nil {
				t.Errorf("%q: no error and no saver", u)
				return
			}
			if err := s.Close(context.Background()); err != nil {
				t.Errorf("%q: close: %v", u, err)
			}
		}()
		guard := time.NewTimer(time.Minute)
		defer guard.Stop()
		select {
		case <-done:
		case <-guard.C:
			t.Fatalf("%q: open.Open did not return within a minute of a 10s context", u)
		}
	})
}

// confine rewrites raw as open.Open would dispatch it so that opening it
// touches nothing but loopback port 1 and files under dir.
func confine(raw, dir string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return confinePath(raw, dir)
	}
	switch strings.ToLower(scheme) {
	case "memory":
		return raw
	case "sqlite":
		return scheme + "://" + confinePath(rest, dir)
	case "nats+embedded":
		if rest == "" {
			return raw
		}
		return scheme + "://" + filepath.Join(dir, "nats", clean(rest))
	case "nats":
		return "nats://127.0.0.1:1"
	case "postgres", "postgresql":
		u, err := url.Parse(raw)
		if err != nil {
			return raw // refused before anything is dialed
		}
		u.Host = "127.0.0.1:1"
		q := u.Query()
		for k := range q {
			switch strings.ToLower(k) {
			case "host", "hostaddr", "port", "service", "servicefile", "passfile":
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return raw // an unknown scheme: refused
}

// confinePath puts a SQLite path (a bare path or a file: URI, with its
// query) under dir.
func confinePath(p, dir string) string {
	if p == ":memory:" || p == "" {
		return p
	}
	path, query, hasQuery := strings.Cut(p, "?")
	prefix := ""
	if rest, ok := strings.CutPrefix(path, "file:"); ok {
		prefix, path = "file:", rest
	}
	out := prefix + filepath.Join(dir, "sqlite", clean(path))
	if hasQuery {
		out += "?" + query
	}
	return out
}

// clean turns p into a relative path that cannot leave its directory.
func clean(p string) string {
	p = strings.ReplaceAll(p, "\x00", "_")
	p = filepath.Clean("/" + p) // rooted: ".." cannot climb above "/"
	return strings.TrimPrefix(p, "/")
}
