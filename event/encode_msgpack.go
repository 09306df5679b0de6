package event

import (
	"encoding/binary"
	"math"

	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The msgpack primitives, each choosing its format as msgpack v5.4's
// Encoder does with compact ints off: a Go int takes the smallest format
// (EncodeInt), an int64 or uint64 field always takes 9 bytes
// (EncodeInt64, EncodeUint64).

func (e *encoder) nil() { e.b = append(e.b, msgpcode.Nil) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, msgpcode.True)
	} else {
		e.b = append(e.b, msgpcode.False)
	}
}

func (e *encoder) code8(c byte, n uint8) { e.b = append(e.b, c, n) }

func (e *encoder) code16(c byte, n uint16) { e.b = binary.BigEndian.AppendUint16(append(e.b, c), n) }

func (e *encoder) code32(c byte, n uint32) { e.b = binary.BigEndian.AppendUint32(append(e.b, c), n) }

func (e *encoder) code64(c byte, n uint64) { e.b = binary.BigEndian.AppendUint64(append(e.b, c), n) }

// int writes a Go int, as Encoder.EncodeInt.
func (e *encoder) int(v int) {
	n := int64(v)
	switch {
	case n >= 0:
		e.uint(uint64(n))
	case n >= int64(int8(msgpcode.NegFixedNumLow)):
		e.b = append(e.b, byte(n))
	case n >= math.MinInt8:
		e.code8(msgpcode.Int8, uint8(n))
	case n >= math.MinInt16:
		e.code16(msgpcode.Int16, uint16(n))
	case n >= math.MinInt32:
		e.code32(msgpcode.Int32, uint32(n))
	default:
		e.int64(n)
	}
}

// uint writes n in its smallest format, as Encoder.EncodeUint.
func (e *encoder) uint(n uint64) {
	switch {
	case n <= math.MaxInt8:
		e.b = append(e.b, byte(n))
	case n <= math.MaxUint8:
		e.code8(msgpcode.Uint8, uint8(n))
	case n <= math.MaxUint16:
		e.code16(msgpcode.Uint16, uint16(n))
	case n <= math.MaxUint32:
		e.code32(msgpcode.Uint32, uint32(n))
	default:
		e.uint64(n)
	}
}

// int64 writes n in 9 bytes, as Encoder.EncodeInt64.
func (e *encoder) int64(n int64) { e.code64(msgpcode.Int64, uint64(n)) }

// uint64 writes n in 9 bytes, as Encoder.EncodeUint64.
func (e *encoder) uint64(n uint64) { e.code64(msgpcode.Uint64, n) }

func (e *encoder) str(s string) {
	switch l := len(s); {
	case l < 32:
		e.b = append(e.b, msgpcode.FixedStrLow|byte(l))
	case l < 256:
		e.code8(msgpcode.Str8, uint8(l))
	case l <= math.MaxUint16:
		e.code16(msgpcode.Str16, uint16(l))
	default:
		e.code32(msgpcode.Str32, uint32(l))
	}
	e.b = append(e.b, s...)
}

// bin writes b as binary, nil as nil, as Encoder.EncodeBytes.
func (e *encoder) bin(b []byte) {
	if b == nil {
		e.nil()
		return
	}
	switch l := len(b); {
	case l < 256:
		e.code8(msgpcode.Bin8, uint8(l))
	case l <= math.MaxUint16:
		e.code16(msgpcode.Bin16, uint16(l))
	default:
		e.code32(msgpcode.Bin32, uint32(l))
	}
	e.b = append(e.b, b...)
}

func (e *encoder) arrayLen(l int) {
	switch {
	case l < 16:
		e.b = append(e.b, msgpcode.FixedArrayLow|byte(l))
	case l <= math.MaxUint16:
		e.code16(msgpcode.Array16, uint16(l))
	default:
		e.code32(msgpcode.Array32, uint32(l))
	}
}

func (e *encoder) mapLen(l int) {
	switch {
	case l < 16:
		e.b = append(e.b, msgpcode.FixedMapLow|byte(l))
	case l <= math.MaxUint16:
		e.code16(msgpcode.Map16, uint16(l))
	default:
		e.code32(msgpcode.Map32, uint32(l))
	}
}

// strings writes a []string, nil as nil.
func (e *encoder) strings(ss []string) {
	if ss == nil {
		e.nil()
		return
	}
	e.arrayLen(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}
