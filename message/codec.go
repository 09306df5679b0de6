package message

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// Messages are stored in every checkpoint of a conversation, so they are
// encoded by hand rather than by reflection. The bytes are exactly those the
// struct tags give through msgpack's reflection (a map of the fields that
// are set, in field order), so stored conversations read the same either way.

// EncodeMsgpack implements msgpack.CustomEncoder.
func (m Message) EncodeMsgpack(enc *msgpack.Encoder) error {
	n := 1 // role is always written
	for _, set := range []bool{m.ID != "", m.Content != "", m.Name != "", len(m.ToolCalls) > 0, m.ToolCallID != ""} {
		if set {
			n++
		}
	}
	if err := enc.EncodeMapLen(n); err != nil {
		return err
	}
	if err := encodeField(enc, "id", m.ID, false); err != nil {
		return err
	}
	if err := encodeField(enc, "role", string(m.Role), true); err != nil {
		return err
	}
	if err := encodeField(enc, "content", m.Content, false); err != nil {
		return err
	}
	if err := encodeField(enc, "name", m.Name, false); err != nil {
		return err
	}
	if len(m.ToolCalls) > 0 {
		if err := enc.EncodeString("tool_calls"); err != nil {
			return err
		}
		if err := enc.EncodeArrayLen(len(m.ToolCalls)); err != nil {
			return err
		}
		for _, c := range m.ToolCalls {
			if err := c.EncodeMsgpack(enc); err != nil {
				return err
			}
		}
	}
	return encodeField(enc, "tool_call_id", m.ToolCallID, false)
}

// EncodeMsgpack implements msgpack.CustomEncoder.
func (c ToolCall) EncodeMsgpack(enc *msgpack.Encoder) error {
	n := 2
	if c.Args != "" {
		n++
	}
	if err := enc.EncodeMapLen(n); err != nil {
		return err
	}
	if err := encodeField(enc, "id", c.ID, true); err != nil {
		return err
	}
	if err := encodeField(enc, "name", c.Name, true); err != nil {
		return err
	}
	return encodeField(enc, "args", c.Args, false)
}

// encodeField writes key and v, unless v is empty and may be left out.
func encodeField(enc *msgpack.Encoder, key, v string, always bool) error {
	if v == "" && !always {
		return nil
	}
	if err := enc.EncodeString(key); err != nil {
		return err
	}
	return enc.EncodeString(v)
}

// DecodeMsgpack implements msgpack.CustomDecoder. Unknown keys are skipped,
// as msgpack's struct decoding skips them.
func (m *Message) DecodeMsgpack(dec *msgpack.Decoder) error {
	*m = Message{}
	return decodeMap(dec, "message", func(key string) error {
		var err error
		switch key {
		case "id":
			m.ID, err = dec.DecodeString()
		case "role":
			var r string
			r, err = dec.DecodeString()
			m.Role = Role(r)
		case "content":
			m.Content, err = dec.DecodeString()
		case "name":
			m.Name, err = dec.DecodeString()
		case "tool_calls":
			var n int
			if n, err = dec.DecodeArrayLen(); err != nil || n <= 0 {
				return err // -1 is nil: no calls
			}
			m.ToolCalls = make([]ToolCall, 0, min(n, 64)) // n is read from the input: grow as items come
			for range n {
				var c ToolCall
				if err := c.DecodeMsgpack(dec); err != nil {
					return err
				}
				m.ToolCalls = append(m.ToolCalls, c)
			}
		case "tool_call_id":
			m.ToolCallID, err = dec.DecodeString()
		default:
			err = dec.Skip()
		}
		return err
	})
}

// DecodeMsgpack implements msgpack.CustomDecoder.
func (c *ToolCall) DecodeMsgpack(dec *msgpack.Decoder) error {
	*c = ToolCall{}
	return decodeMap(dec, "tool call", func(key string) error {
		var err error
		switch key {
		case "id":
			c.ID, err = dec.DecodeString()
		case "name":
			c.Name, err = dec.DecodeString()
		case "args":
			c.Args, err = dec.DecodeString()
		default:
			err = dec.Skip()
		}
		return err
	})
}

// decodeMap reads a map (nil reads as empty) and calls field with each key,
// which must read the value.
func decodeMap(dec *msgpack.Decoder, what string, field func(key string) error) error {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	for range max(n, 0) {
		key, err := dec.DecodeString()
		if err != nil {
			return fmt.Errorf("decode %s: key: %w", what, err)
		}
		if err := field(key); err != nil {
			return fmt.Errorf("decode %s: %q: %w", what, key, err)
		}
	}
	return nil
}
