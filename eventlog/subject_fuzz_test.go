package eventlog

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/jetgraph/jetgraph/saver"
)

// kvKey is what a JetStream KV key may hold (nats.go's check): the
// snapshot bucket keys its entries by the thread's token.
var kvKey = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)

// FuzzThreadSubject builds the subjects of two thread ids under a prefix,
// as Log.Subject does, and checks what the server needs of them: a prefix
// Config accepts and a valid id give a valid literal subject (no empty
// token, no whitespace, no wildcard token, no NUL, valid UTF-8) of exactly
// one token more than the prefix and at most MaxTokenBytes longer, whose
// token is a valid KV key; the token decodes to the id (or, hashed, is
// the SHA-256 form of an id too long to spell); two different ids never
// share a subject. The seed corpus is in testdata/fuzz/FuzzThreadSubject.
func FuzzThreadSubject(f *testing.F) {
	f.Fuzz(func(t *testing.T, prefix, a, b string) {
		cfg := Config{Prefix: prefix}.withDefaults()
		if err := cfg.validate(); err != nil {
			if !errors.Is(err, saver.ErrInvalid) {
				t.Fatalf("prefix %q refused with %v, which does not match saver.ErrInvalid", prefix, err)
			}
			cfg.Prefix = "jetgraph.thread"
		}
		subject := func(id string) string {
			tok, err := EncodeThread(id)
			if id == "" || len(id) > saver.MaxThreadIDBytes {
				if !errors.Is(err, saver.ErrInvalid) {
					t.Fatalf("EncodeThread(%d bytes) = %.40q, %v; want saver.ErrInvalid", len(id), tok, err)
				}
				return ""
			}
			if err != nil {
				t.Fatalf("EncodeThread(%q): %v", id, err)
			}
			s := cfg.Prefix + "." + tok
			if !server.IsValidSubject(s) || !server.IsValidLiteralSubject(s) ||
				strings.ContainsAny(s, " \t\r\n\f\x00") || !utf8.ValidString(s) {
				t.Fatalf("thread %q under prefix %q: %q is not a valid literal subject", id, cfg.Prefix, s)
			}
			if got, want := strings.Count(s, "."), strings.Count(cfg.Prefix, ".")+1; got != want {
				t.Fatalf("thread %q: subject %q has %d dots, want %d (one token under the prefix)", id, s, got, want)
			}
			if len(tok) > MaxTokenBytes || !kvKey.MatchString(tok) {
				t.Fatalf("thread %q: token %.80q (%d bytes) is not a bounded KV key", id, tok, len(tok))
			}
			back, err := DecodeThread(tok)
			switch {
			case IsHashedToken(tok):
				if !errors.Is(err, ErrHashedToken) || escapedLen(id) <= MaxTokenBytes {
					t.Fatalf("thread %q (escaped %d bytes) has hashed token %q; decode: %v", id, escapedLen(id), tok, err)
				}
			case err != nil || back != id:
				t.Fatalf("DecodeThread(EncodeThread(%q)) = %q, %v", id, back, err)
			}
			return s
		}
		sa, sb := subject(a), subject(b)
		if sa != "" && a != b && sa == sb {
			t.Fatalf("threads %q and %q share subject %q", a, b, sa)
		}
	})
}
