package event

import (
	"maps"
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// msgpack sorts the keys of map[string]string and map[string]any when asked,
// but not of other map types; these types encode their keys in order so
// that an event or snapshot encodes to the same bytes every time. Encode and
// Thread.Snapshot write these maps by hand (see encoder) in the same order;
// the methods keep the reflection encoder, which the tests hold them to,
// deterministic.

// Versions maps a channel to its version.
type Versions map[string]uint64

// EncodeMsgpack implements msgpack.CustomEncoder with sorted keys.
func (v Versions) EncodeMsgpack(enc *msgpack.Encoder) error { return encodeSorted(enc, v) }

// SeenVersions maps a node to the channel versions it has seen.
type SeenVersions map[string]Versions

// EncodeMsgpack implements msgpack.CustomEncoder with sorted keys.
func (v SeenVersions) EncodeMsgpack(enc *msgpack.Encoder) error { return encodeSorted(enc, v) }

func encodeSorted[V any](enc *msgpack.Encoder, m map[string]V) error {
	if m == nil {
		return enc.EncodeNil()
	}
	if err := enc.EncodeMapLen(len(m)); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := enc.EncodeString(k); err != nil {
			return err
		}
		if err := enc.Encode(m[k]); err != nil {
			return err
		}
	}
	return nil
}

// toVersions and toSeen keep the caller's maps: saver.Saver.Put may, and
// records never change them.
func toVersions(m map[string]uint64) Versions {
	if len(m) == 0 {
		return nil
	}
	return Versions(m)
}

func toSeen(m map[string]map[string]uint64) SeenVersions {
	if len(m) == 0 {
		return nil
	}
	out := make(SeenVersions, len(m))
	for k, v := range m {
		out[k] = Versions(v)
	}
	return out
}
