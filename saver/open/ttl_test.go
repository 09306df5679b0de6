package open_test

import (
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/open"
)

// TestSaverTakesRetentionFromTheURL opens each backend with ?ttl= and
// waits for an idle thread to expire: read through a second saver opened
// on the same store without a TTL.
func TestSaverTakesRetentionFromTheURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pg, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := pg.Query()
	q.Set("schema", pgtest.Schema(t))
	pg.RawQuery = q.Encode()
	const ttl = "&ttl=300ms&ttl_sweep=50ms"
	cases := []struct{ name, withTTL, without string }{
		{"memory", "memory://?ttl=300ms&ttl_sweep=50ms", ""},
		{"sqlite", "sqlite://" + filepath.Join(dir, "a.db") + "?_pragma=foreign_keys(1)" + ttl, "sqlite://" + filepath.Join(dir, "a.db")},
		{"postgres", pg.String() + ttl, pg.String()},
		{"nats+embedded", "nats+embedded://" + filepath.Join(dir, "nats") + "?ttl=300ms&ttl_sweep=50ms", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := setup(t, c.withTTL)
			readers := []saver.Saver{s}
			if c.without != "" {
				readers = append(readers, setup(t, c.without))
			}
			cp := saver.Checkpoint{ID: saver.NewCheckpointID(""), TS: time.Now().UTC(), ChannelValues: map[string][]byte{"v": []byte("1")}, ChannelVersions: map[string]uint64{"v": 1}}
			cfg, err := s.Put(t.Context(), saver.PutOp{Config: saver.Config{ThreadID: "idle"}, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceInput, Step: -1}, NewVersions: map[string]uint64{"v": 1}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range readers {
				deadline := time.Now().Add(30 * time.Second)
				for {
					_, err := r.GetTuple(t.Context(), cfg)
					if errors.Is(err, saver.ErrNotFound) {
						break
					}
					if err != nil || time.Now().After(deadline) {
						t.Fatalf("%T: thread still there (%v) long after its TTL", r, err)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

func TestSaverRejectsBadRetention(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"memory://?ttl=soon", "memory://?ttl=-1h", "memory://?ttl=0s", "memory://?ttl_sweep=1m", "memory://?ttl=1h&ttl_sweep=never"} {
		if _, err := open.Open(t.Context(), u); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", u, err)
		}
	}
	s := setup(t, "memory://?ttl=1h&ttl_sweep=off")
	roundTrip(t, s)
}
