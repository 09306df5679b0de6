package graph

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/message"
)

// Channel values are stored as msgpack, map keys sorted so equal values
// encode to equal bytes. A list channel (any slice field but []byte) is
// stored as the concatenation of its items' encodings, with no array header:
// appending items to the channel appends bytes, so the saver stores only the
// new suffix of a growing conversation.

func encodeAny(v reflect.Value) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	if err := enc.EncodeValue(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeItems concatenates the encodings of the items of slice v.
func encodeItems(v reflect.Value) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	for i := range v.Len() {
		if err := enc.EncodeValue(v.Index(i)); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	return buf.Bytes(), nil
}

// newDecoder returns a decoder of the values b holds, one after another,
// once it has walked them all (walk): every length a value declares is
// then backed by bytes that are really there. Decode stored bytes only
// with it: msgpack v5 allocates a slice at the length its header declares,
// so a forged header could otherwise ask for gigabytes.
func newDecoder(b []byte) (*msgpack.Decoder, *bytes.Reader, error) {
	if err := walk(b); err != nil {
		return nil, nil, err
	}
	r := bytes.NewReader(b)
	dec := msgpack.NewDecoder(r)
	dec.UseLooseInterfaceDecoding(true)
	return dec, r, nil
}

// walk reads the values b holds with Decoder.Skip, which follows declared
// lengths without allocating by them, and fails on a value that is cut
// short or malformed.
func walk(b []byte) error {
	r := bytes.NewReader(b)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(r)
	for r.Len() > 0 {
		if err := dec.Skip(); err != nil {
			return fmt.Errorf("malformed msgpack at byte %d: %w", len(b)-r.Len(), err)
		}
	}
	return nil
}

// encode returns v as f stores it. A value msgpack cannot encode, one
// that refers to itself, and one of an interface type that does not decode
// back are errors naming the channel (see codeccheck.go).
func (f *field) encode(v reflect.Value) ([]byte, error) {
	risk := riskOf(v.Type())
	if risk.mayCycle {
		if err := checkAcyclic(v); err != nil {
			return nil, fmt.Errorf("encode channel %q: %w", f.name, err)
		}
	}
	var b []byte
	var err error
	if f.list {
		b, err = encodeItems(v)
	} else {
		b, err = encodeAny(v)
	}
	if err != nil {
		return nil, fmt.Errorf("encode channel %q: %w", f.name, err)
	}
	if risk.hasInterface {
		if _, err := f.decode(b); err != nil {
			return nil, fmt.Errorf("encode channel %q: the value does not read back as it was written, so it is not stored: %w", f.name, err)
		}
	}
	return b, nil
}

// decode reads a value f stored; a list is read item by item until the end.
func (f *field) decode(b []byte) (reflect.Value, error) {
	v := reflect.New(f.typ).Elem()
	dec, r, err := newDecoder(b)
	if err != nil {
		return v, fmt.Errorf("decode channel %q: %w", f.name, err)
	}
	if !f.list {
		if err := dec.DecodeValue(v); err != nil {
			return v, fmt.Errorf("decode channel %q: %w", f.name, err)
		}
		return v, nil
	}
	elem := f.typ.Elem()
	for r.Len() > 0 {
		item := reflect.New(elem).Elem()
		if err := dec.DecodeValue(item); err != nil {
			return v, fmt.Errorf("decode channel %q item %d: %w", f.name, v.Len(), err)
		}
		v = reflect.Append(v, item)
	}
	if v.Len() > 0 {
		v = v.Slice3(0, v.Len(), v.Len())
	}
	return v, nil
}

// reduce applies an update (value upd, encoded updB) to the channel's
// current value (cur, encoded curB; has says whether the channel has a
// value) and returns the new value and its encoding. For list channels whose
// new value extends the old one, the encoding is the old bytes followed by
// the new items' bytes, and tl (the thread's decoded lists; may be nil)
// extends its cache instead of copying the list.
func (f *field) reduce(tl *threadLists, cur reflect.Value, curB []byte, has bool, upd reflect.Value, updB []byte) (reflect.Value, []byte, error) {
	if !has {
		cur = reflect.New(f.typ).Elem()
		curB = nil
	}
	switch {
	case f.reducer == reducerLast:
		return upd, updB, nil
	case f.reducer == reducerAppend:
		return f.extend(tl, cur, curB, upd, updB)
	case f.reducer == reducerMessages:
		c, _ := reflect.TypeAssert[[]message.Message](cur) // TypeAssert does not box the slice
		u, _ := reflect.TypeAssert[[]message.Message](upd)
		if added, ok := message.MergeAdded(c, u); ok {
			add := reflect.ValueOf(added)
			tail, err := f.encode(add)
			if err != nil {
				return cur, nil, err
			}
			return f.extend(tl, cur, curB, add, tail)
		}
		merged, _ := message.MergeAppend(c, u)
		out := reflect.ValueOf(merged)
		b, err := f.encode(out)
		return out, b, err
	default:
		out := f.custom.reduce(cur, upd)
		if f.list && out.Len() >= cur.Len() && reflect.DeepEqual(out.Slice(0, cur.Len()).Interface(), cur.Interface()) {
			add := out.Slice(cur.Len(), out.Len())
			tail, err := f.encode(add)
			if err != nil {
				return cur, nil, err
			}
			return f.extend(tl, cur, curB, add, tail)
		}
		b, err := f.encode(out)
		return out, b, err
	}
}

// extend returns list cur (encoded curB) followed by the items of add
// (encoded tail): from the thread's cache when it holds cur, without
// copying cur; else as a new list.
func (f *field) extend(tl *threadLists, cur reflect.Value, curB []byte, add reflect.Value, tail []byte) (reflect.Value, []byte, error) {
	if v, b, ok, err := tl.extend(f, cur, curB, tail); ok || err != nil {
		return v, b, err
	}
	n, m := cur.Len(), add.Len()
	out := reflect.MakeSlice(f.typ, n+m, n+m)
	reflect.Copy(out, cur)
	reflect.Copy(out.Slice(n, n+m), add)
	return out, concat(curB, tail), nil
}

func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
