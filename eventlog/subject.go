package eventlog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jetgraph/jetgraph/saver"
)

const hexDigits = "0123456789ABCDEF"

const (
	// MaxTokenBytes is the longest subject token a thread gets. Longer
	// escaped ids are hashed, so that a subject (prefix, dot, token) stays
	// far below the server's 4,096-byte control line.
	MaxTokenBytes = 256
	// hashedPrefix starts the token of a hashed id. Plain tokens never
	// start with it: '_' is always followed by an upper-case hex digit.
	hashedPrefix = "_H"
	// hashedLen is the length of a hashed token: the prefix and the
	// upper-case hex of a SHA-256.
	hashedLen = len(hashedPrefix) + 2*sha256.Size
)

// ErrHashedToken is returned by DecodeThread for a token that names a
// thread by the hash of its id: the id itself travels in the ThreadHeader
// of each of the thread's messages (see Log.ThreadOf).
var ErrHashedToken = errors.New("hashed subject token: the thread id is in the message header")

// EncodeThread returns the subject token for a thread id. Letters, digits and
// '-' stand for themselves; every other byte (including '_', '.', '*', '>',
// spaces and each byte of a multi-byte character) becomes '_' followed by two
// upper-case hex digits. An id whose token would be longer than
// MaxTokenBytes gets "_H" and the upper-case hex of its SHA-256 instead,
// which no escaped id produces. The encoding is injective, readable for
// ordinary ids, and uses only characters valid in subjects and KV keys.
// An empty id, or one longer than saver.MaxThreadIDBytes, has no token: the
// error matches saver.ErrInvalid.
func EncodeThread(id string) (string, error) {
	if err := saver.ValidateThread(id); err != nil {
		return "", err
	}
	if escapedLen(id) > MaxTokenBytes {
		sum := sha256.Sum256([]byte(id))
		return hashedPrefix + strings.ToUpper(hex.EncodeToString(sum[:])), nil
	}
	return escape(id), nil
}

// escapedLen is the length of escape(id).
func escapedLen(id string) int {
	n := 0
	for i := 0; i < len(id); i++ {
		if plain(id[i]) {
			n++
		} else {
			n += 3
		}
	}
	return n
}

// escape is the plain encoding of any string, unbounded in length: each
// byte other than [A-Za-z0-9-] becomes '_' and two upper-case hex digits.
func escape(id string) string {
	var b strings.Builder
	b.Grow(len(id))
	for i := 0; i < len(id); i++ {
		c := id[i]
		if plain(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

// DecodeThread inverts EncodeThread. It rejects any token EncodeThread
// cannot produce, so that each thread id has exactly one token; errors
// match saver.ErrInvalid. A well-formed hashed token cannot be inverted:
// the error matches ErrHashedToken too, and the id is in the header of the
// thread's messages (see Log.ThreadOf).
func DecodeThread(tok string) (string, error) {
	if IsHashedToken(tok) {
		return "", fmt.Errorf("subject token %q: %w: %w", tok, saver.ErrInvalid, ErrHashedToken)
	}
	id, err := unescape(tok)
	if err != nil {
		return "", err
	}
	if len(tok) > MaxTokenBytes || len(id) > saver.MaxThreadIDBytes {
		return "", fmt.Errorf("subject token of %d bytes: %w: longer ids have hashed tokens", len(tok), saver.ErrInvalid)
	}
	return id, nil
}

// IsHashedToken reports whether tok is a well-formed hashed token.
func IsHashedToken(tok string) bool {
	if len(tok) != hashedLen || !strings.HasPrefix(tok, hashedPrefix) {
		return false
	}
	for i := len(hashedPrefix); i < len(tok); i++ {
		if unhex(tok[i]) < 0 {
			return false
		}
	}
	return true
}

// unescape inverts escape, rejecting any string escape cannot produce.
func unescape(tok string) (string, error) {
	if tok == "" {
		return "", fmt.Errorf("empty subject token: %w", saver.ErrInvalid)
	}
	out := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if plain(c) {
			out = append(out, c)
			continue
		}
		if c != '_' || i+2 >= len(tok) {
			return "", fmt.Errorf("subject token %.64q: bad byte at %d: %w", tok, i, saver.ErrInvalid)
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("subject token %.64q: bad escape at %d: %w", tok, i, saver.ErrInvalid)
		}
		v := byte(hi<<4 | lo)
		if plain(v) {
			return "", fmt.Errorf("subject token %.64q: needless escape at %d: %w", tok, i, saver.ErrInvalid)
		}
		out = append(out, v)
		i += 2
	}
	return string(out), nil
}

func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
