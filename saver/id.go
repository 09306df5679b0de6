package saver

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// idGen produces UUIDv7 values that strictly increase within the process,
// even within one millisecond (RFC 9562, method 3: the 74 bits after the
// timestamp act as a counter seeded at random each new millisecond).
var idGen struct {
	sync.Mutex
	last [16]byte
}

// NewCheckpointID returns a new UUIDv7 string that sorts after every id this
// process made before and after the given id (pass the parent's or the
// thread head's id; "" for none), so ids stay increasing within a thread even
// when several hosts write to it.
func NewCheckpointID(after string) string {
	idGen.Lock()
	defer idGen.Unlock()

	var next [16]byte
	ms := uint64(time.Now().UnixMilli())
	floor := idGen.last
	if a, ok := parseUUID(after); ok && compareID(a, floor) > 0 {
		floor = a
	}
	floorMS := binary.BigEndian.Uint64(floor[:8]) >> 16
	if ms > floorMS {
		putMS(&next, ms)
		if _, err := rand.Read(next[6:]); err != nil {
			panic("saver: crypto/rand: " + err.Error())
		}
		// Start the counter in the lower half so it rarely runs out within
		// one millisecond.
		next[6] &= 0x07
	} else {
		next = floor
		if !incrementCounter(&next) {
			// The counter is exhausted: borrow the next millisecond.
			putMS(&next, floorMS+1)
			clear(next[6:])
		}
	}
	next[6] = next[6]&0x0f | 0x70 // version 7
	next[8] = next[8]&0x3f | 0x80 // variant 10
	idGen.last = next
	return formatUUID(next)
}

func putMS(u *[16]byte, ms uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ms<<16)
	copy(u[:6], b[:6])
}

// incrementCounter adds one to the 74 bits of u that follow the timestamp,
// skipping the version and variant bits. It reports false on overflow.
func incrementCounter(u *[16]byte) bool {
	// rand_b: the low 62 bits (bytes 8..15, top two bits of byte 8 are variant).
	for i := 15; i >= 9; i-- {
		u[i]++
		if u[i] != 0 {
			return true
		}
	}
	if u[8]&0x3f != 0x3f {
		u[8] = u[8]&0xc0 | (u[8]&0x3f + 1)
		return true
	}
	u[8] &= 0xc0
	// rand_a: the low 12 bits of bytes 6..7.
	if u[7] != 0xff {
		u[7]++
		return true
	}
	u[7] = 0
	if u[6]&0x0f != 0x0f {
		u[6] = u[6]&0xf0 | (u[6]&0x0f + 1)
		return true
	}
	return false
}

func compareID(a, b [16]byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func formatUUID(u [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], u[10:16])
	return string(buf[:])
}

func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	hexPart := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(hexPart)); err != nil {
		return u, false
	}
	return u, true
}
