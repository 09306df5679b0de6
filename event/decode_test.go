package event

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// reflectDecode is the reflection decoder, the hand decoder's oracle.
func reflectDecode(data []byte, v any) error {
	dec := msgpack.NewDecoder(bytes.NewReader(data))
	dec.UseLooseInterfaceDecoding(true)
	return dec.Decode(v)
}

// requireSameDecoding fails t unless the hand decoder, where it does not
// give up, reads data as the reflection decoder does; with mustRead it
// must not give up either.
func requireSameDecoding(t *testing.T, data []byte, mustRead bool) {
	t.Helper()
	var hand, refl []Record
	if !decodeHand(data, &hand) {
		if mustRead {
			t.Fatalf("hand decoder gave up on %x", data)
		}
	} else if err := reflectDecode(data, &refl); err != nil {
		t.Fatalf("hand decoder read %x, which the reflection decoder refuses: %v", data, err)
	} else if !reflect.DeepEqual(hand, refl) {
		t.Fatalf("decoders differ on %x:\n hand %#v\n refl %#v", data, hand, refl)
	}
	var hs, rs snapshot
	if decodeHand(data, &hs) {
		if err := reflectDecode(data, &rs); err != nil {
			t.Fatalf("hand decoder read snapshot %x, which the reflection decoder refuses: %v", data, err)
		}
		if !reflect.DeepEqual(hs, rs) {
			t.Fatalf("decoders differ on snapshot %x:\n hand %#v\n refl %#v", data, hs, rs)
		}
	}
}

// FuzzDecodeMatchesReflection holds the hand decoder to the reflection
// decoder: on encoded records and snapshots it must read what reflection
// reads; on any bytes it may give up, but never read something the
// reflection decoder refuses or reads otherwise.
func FuzzDecodeMatchesReflection(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(bytes.Repeat([]byte{0x80, 0x7f, 0x20, 0x1f}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		requireSameDecoding(t, data, false) // the input as an event
		recs := newRecordFuzzer(data).records()
		payload, err := Encode(recs)
		if err != nil {
			t.Fatal(err)
		}
		requireSameDecoding(t, payload, true)
		for _, r := range recs {
			if r.Seed == nil {
				continue
			}
			e := &encoder{}
			e.snapshot(&snapshot{Thread: r.Seed.DeletedThrough, Seq: uint64(len(payload)), V: SchemaVersion, State: *r.Seed})
			var hand snapshot
			if !decodeHand(e.b, &hand) {
				t.Fatalf("hand decoder gave up on snapshot %x", e.b)
			}
			requireSameDecoding(t, e.b, false)
		}
		// Damaged payloads: cut short, a byte changed.
		if len(payload) > 1 {
			requireSameDecoding(t, payload[:len(payload)/2], false)
			bad := bytes.Clone(payload)
			bad[len(data)%len(bad)] ^= byte(len(data)) | 1
			requireSameDecoding(t, bad, false)
		}
	})
}

// TestHandDecoderReadsWhatReflectionReads runs the fuzz property on a
// fixed set of random inputs, and on a real thread's snapshot.
func TestHandDecoderReadsWhatReflectionReads(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 17))
	for range 2000 {
		data := make([]byte, rng.IntN(300))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		recs := newRecordFuzzer(data).records()
		payload, err := Encode(recs)
		if err != nil {
			t.Fatal(err)
		}
		requireSameDecoding(t, payload, true)
		requireSameDecoding(t, data, false)
	}
	snap := longThreadSnapshot(t, 50)
	var hand, refl snapshot
	if !decodeHand(snap, &hand) {
		t.Fatal("hand decoder gave up on a thread's snapshot")
	}
	if err := reflectDecode(snap, &refl); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hand, refl) {
		t.Fatal("decoders differ on a thread's snapshot")
	}
}

// TestHandDecoderGivesUpOnWhatItDoesNotKnow: an unknown key, a key met
// twice, a length longer than the bytes, trailing bytes.
func TestHandDecoderGivesUpOnWhatItDoesNotKnow(t *testing.T) {
	t.Parallel()
	good, err := Encode([]Record{{Kind: KindTombstone, V: 1, Tombstone: &TombstoneRecord{DeletedThrough: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	if !decodeHand(good, &recs) || recs[0].Tombstone.DeletedThrough != "x" {
		t.Fatalf("hand decoder did not read %x: %#v", good, recs)
	}
	cases := map[string][]byte{
		"unknown key":   {0x91, 0x81, 0xa1, 'z', 0x01},
		"key met twice": {0x91, 0x82, 0xa1, 'v', 0x01, 0xa1, 'v', 0x02},
		"long array":    {0xdd, 0xff, 0xff, 0xff, 0xff, 0x80},
		"long string":   {0x91, 0x81, 0xa1, 'k', 0xdb, 0x7f, 0xff, 0xff, 0xff},
		"trailing":      append(bytes.Clone(good), 0xc0),
	}
	for name, data := range cases {
		var recs []Record
		if decodeHand(data, &recs) {
			t.Errorf("%s: hand decoder read %x", name, data)
		}
		requireSameDecoding(t, data, false)
	}
}
