package eventlog

import (
	"strings"
	"testing"
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
	for _, tok := range []string{"", "a.b", "_2", "_zz", "_2e", "_41", "a b", "_"} {
		if id, err := DecodeThread(tok); err == nil {
			t.Errorf("DecodeThread(%q) = %q, want an error", tok, id)
		}
	}
}

func FuzzThreadEncoding(f *testing.F) {
	for _, s := range []string{"a", "user-123", "a.b", "a_2Eb", "*", ">", " ", "日本", "\x00", "_5F"} {
		f.Add(s, "b")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == "" {
			return
		}
		tok, err := EncodeThread(a)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(tok, func(r rune) bool { return !(r < 128 && (plain(byte(r)) || r == '_')) }) {
			t.Fatalf("token %q of %q has a character outside [A-Za-z0-9_-]", tok, a)
		}
		back, err := DecodeThread(tok)
		if err != nil || back != a {
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
		}
	})
}
