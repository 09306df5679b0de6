package eventlog

import (
	"errors"
	"fmt"
	"strings"
)

const hexDigits = "0123456789ABCDEF"

// EncodeThread returns the subject token for a thread id. Letters, digits and
// '-' stand for themselves; every other byte (including '_', '.', '*', '>',
// spaces and each byte of a multi-byte character) becomes '_' followed by two
// upper-case hex digits. The encoding is injective, readable for ordinary
// ids, and uses only characters valid in subjects and KV keys. An empty id
// has no token.
func EncodeThread(id string) (string, error) {
	if id == "" {
		return "", errors.New("empty thread id")
	}
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
	return b.String(), nil
}

// DecodeThread inverts EncodeThread. It rejects any token EncodeThread
// cannot produce, so that each thread id has exactly one token.
func DecodeThread(tok string) (string, error) {
	if tok == "" {
		return "", errors.New("empty subject token")
	}
	out := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if plain(c) {
			out = append(out, c)
			continue
		}
		if c != '_' || i+2 >= len(tok) {
			return "", fmt.Errorf("subject token %q: bad byte at %d", tok, i)
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("subject token %q: bad escape at %d", tok, i)
		}
		v := byte(hi<<4 | lo)
		if plain(v) {
			return "", fmt.Errorf("subject token %q: needless escape at %d", tok, i)
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
