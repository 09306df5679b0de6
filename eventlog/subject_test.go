package eventlog

import (
	"errors"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

func TestEncodeThreadKeepsOrdinaryIDsReadable(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"user-123":  "user-123",
		"a.b":       "a_2Eb",
		"a_2Eb":     "a_5F2Eb",
		"*":         "_2A",
		">":         "_3E",
		"a b":       "a_20b",
		"x/y":       "x_2Fy",
		"é":         "_C3_A9",
		"UPPERcase": "UPPERcase",
	} {
		got, err := EncodeThread(id)
		if err != nil || got != want {
			t.Errorf("EncodeThread(%q) = %q, %v; want %q", id, got, err, want)
		}
	}
}

func TestDecodeThreadRejectsNonCanonicalTokens(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"", "a.b", "_2", "_zz", "_2e", "_41", "a b", "_",
		strings.Repeat("a", MaxTokenBytes+1),     // a plain token only ids of at most MaxTokenBytes get
		strings.Repeat("_2E", MaxTokenBytes/3+1), // same, escaped
		"_H" + strings.Repeat("a", 64),           // lower-case hex
		"_H" + strings.Repeat("A", 63),           // short
	} {
		if id, err := DecodeThread(tok); err == nil || !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("DecodeThread(%.40q) = %q, %v; want an error matching saver.ErrInvalid", tok, id, err)
		}
	}
}

// Ids whose escaped token would be long get a hashed token of fixed
// length; ids just below the bound keep their readable one.
func TestLongIDsGetBoundedHashedTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id     string
		hashed bool
	}{
		{strings.Repeat("a", MaxTokenBytes), false},
		{strings.Repeat("a", MaxTokenBytes+1), true},
		{strings.Repeat(".", MaxTokenBytes/3), false},
		{strings.Repeat(".", MaxTokenBytes/3+1), true},
		{strings.Repeat(".", saver.MaxThreadIDBytes), true},
		{strings.Repeat("😀", saver.MaxThreadIDBytes/4), true},
		{strings.Repeat("z", saver.MaxThreadIDBytes), true},
	} {
		tok, err := EncodeThread(tc.id)
		if err != nil {
			t.Fatalf("EncodeThread(%d bytes): %v", len(tc.id), err)
		}
		if len(tok) > MaxTokenBytes {
			t.Errorf("token of a %d-byte id has %d bytes, more than %d", len(tc.id), len(tok), MaxTokenBytes)
		}
		if IsHashedToken(tok) != tc.hashed {
			t.Errorf("token %.40q of a %d-byte id: hashed %v, want %v", tok, len(tc.id), !tc.hashed, tc.hashed)
		}
		back, err := DecodeThread(tok)
		switch {
		case tc.hashed && !errors.Is(err, ErrHashedToken):
			t.Errorf("DecodeThread of hashed token: %q, %v; want ErrHashedToken", back, err)
		case !tc.hashed && (err != nil || back != tc.id):
			t.Errorf("DecodeThread(EncodeThread(id)) = %.40q, %v", back, err)
		}
	}
}

func TestEncodeThreadRefusesEmptyAndOverlongIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", strings.Repeat("a", saver.MaxThreadIDBytes+1), strings.Repeat(".", 1536), strings.Repeat("x", 64<<10)} {
		if tok, err := EncodeThread(id); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("EncodeThread(%d bytes) = %.40q, %v; want saver.ErrInvalid", len(id), tok, err)
		}
	}
}

// validToken reports whether tok is usable as one subject token and in a
// KV key: non-empty, bounded, and only [A-Za-z0-9_-].
func validToken(tok string) bool {
	return tok != "" && len(tok) <= MaxTokenBytes &&
		!strings.ContainsFunc(tok, func(r rune) bool { return !(r < 128 && (plain(byte(r)) || r == '_')) })
}

func FuzzThreadEncoding(f *testing.F) {
	for _, s := range []string{"a", "user-123", "a.b", "a_2Eb", "*", ">", " ", "日本", "\x00", "_5F",
		strings.Repeat(".", 86), strings.Repeat("a", 257), "_H" + strings.Repeat("0", 64)} {
		f.Add(s, "b")
	}
	f.Add(strings.Repeat("a", 300), strings.Repeat("a", 301))
	f.Fuzz(func(t *testing.T, a, b string) {
		tok, err := EncodeThread(a)
		if a == "" || len(a) > saver.MaxThreadIDBytes {
			if !errors.Is(err, saver.ErrInvalid) {
				t.Fatalf("EncodeThread(%d bytes) = %q, %v; want saver.ErrInvalid", len(a), tok, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !validToken(tok) {
			t.Fatalf("token %q of %q is not a valid subject token", tok, a)
		}
		back, err := DecodeThread(tok)
		if IsHashedToken(tok) {
			if !errors.Is(err, ErrHashedToken) {
				t.Fatalf("hashed token %q decodes: %q, %v", tok, back, err)
			}
			if id, err := unescape(escape(a)); err != nil || id != a {
				t.Fatalf("header value of %q does not round-trip: %q, %v", a, id, err)
			}
		} else if err != nil || back != a {
			t.Fatalf("DecodeThread(EncodeThread(%q)) = %q, %v", a, back, err)
		}
		if b != "" && b != a {
			if tb, _ := EncodeThread(b); tb == tok {
				t.Fatalf("%q and %q share token %q", a, b, tok)
			}
		}
		// Any token that decodes must be the encoding of what it decodes to.
		if id, err := DecodeThread(a); err == nil {
			if again, _ := EncodeThread(id); again != a {
				t.Fatalf("token %q decodes to %q, which encodes to %q", a, id, again)
			}
		} else if !errors.Is(err, saver.ErrInvalid) {
			t.Fatalf("DecodeThread(%q): %v, want an error matching saver.ErrInvalid", a, err)
		}
	})
}
