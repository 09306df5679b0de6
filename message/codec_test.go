package message

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// plainMessage and plainCall are Message and ToolCall without their
// hand-written codecs: msgpack encodes them by reflection, from the same
// tags, which is what stored conversations were written with.
type plainCall struct {
	ID   string `msgpack:"id"`
	Name string `msgpack:"name"`
	Args string `msgpack:"args,omitempty"`
}

type plainMessage struct {
	ID         string      `msgpack:"id,omitempty"`
	Role       Role        `msgpack:"role"`
	Content    string      `msgpack:"content,omitempty"`
	Name       string      `msgpack:"name,omitempty"`
	ToolCalls  []plainCall `msgpack:"tool_calls,omitempty"`
	ToolCallID string      `msgpack:"tool_call_id,omitempty"`
}

func plain(m Message) plainMessage {
	p := plainMessage{ID: m.ID, Role: m.Role, Content: m.Content, Name: m.Name, ToolCallID: m.ToolCallID}
	for _, c := range m.ToolCalls {
		p.ToolCalls = append(p.ToolCalls, plainCall(c))
	}
	return p
}

func encodeWith(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true) // as the graph's encoder is set up
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func codecCases() []Message {
	long := strings.Repeat("é", 70000)
	return []Message{
		{},
		Human("hi"),
		AI(""),
		{ID: "id-1", Role: RoleAI, Content: "x", Name: "bot", ToolCallID: "c1"},
		{Role: RoleAI, ToolCalls: []ToolCall{{ID: "c1", Name: "search"}, {ID: "c2", Name: "send", Args: `{"to":"a"}`}}},
		{Role: RoleAI, ToolCalls: []ToolCall{}}, // empty: left out, reads back as nil
		Tool("result", "c2"),
		Remove("gone"),
		{Role: RoleHuman, Content: long, Name: strings.Repeat("n", 40)},
	}
}

// The hand-written codec writes the bytes reflection writes, and reads
// back what it wrote.
func TestCodecMatchesReflection(t *testing.T) {
	t.Parallel()
	for i, m := range codecCases() {
		got, want := encodeWith(t, m), encodeWith(t, plain(m))
		if !bytes.Equal(got, want) {
			t.Fatalf("message %d: encodes to %x, reflection gives %x", i, got, want)
		}
		var back Message
		if err := msgpack.Unmarshal(want, &back); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if len(m.ToolCalls) == 0 {
			m.ToolCalls = nil
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("message %d reads back as %+v, want %+v", i, back, m)
		}
	}
}

// Decoding takes keys in any order, skips unknown ones and reads nil as
// empty, as struct decoding does.
func TestCodecReadsWhatReflectionAccepts(t *testing.T) {
	t.Parallel()
	b := encodeWith(t, map[string]any{"tool_calls": []map[string]any{{"args": "{}", "name": "n", "id": "i", "extra": 1}},
		"role": "ai", "future": []int{1, 2}, "id": nil, "content": "c"})
	var got Message
	if err := msgpack.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := Message{Role: RoleAI, Content: "c", ToolCalls: []ToolCall{{ID: "i", Name: "n", Args: "{}"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
	var viaPlain plainMessage
	if err := msgpack.Unmarshal(b, &viaPlain); err != nil || !reflect.DeepEqual(viaPlain, plain(want)) {
		t.Fatalf("reflection reads %+v (%v): the cases disagree", viaPlain, err)
	}
	for _, bad := range [][]byte{{0x81, 0xa2, 'i', 'd', 0x01}, {0x81}, {0xc1}} {
		if err := msgpack.Unmarshal(bad, &got); err == nil {
			t.Fatalf("%x decoded without an error", bad)
		}
	}
}

func FuzzCodecMatchesReflection(f *testing.F) {
	f.Add("id", "ai", "content", "", "", "c1", "args", uint8(2))
	f.Add("", "", "", "name", "tc", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, id, role, content, name, toolCallID, callID, args string, calls uint8) {
		m := Message{ID: id, Role: Role(role), Content: content, Name: name, ToolCallID: toolCallID}
		for i := range int(calls % 4) {
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: callID, Name: string(rune('a' + i)), Args: args})
		}
		got, want := encodeWith(t, m), encodeWith(t, plain(m))
		if !bytes.Equal(got, want) {
			t.Fatalf("encodes to %x, reflection gives %x", got, want)
		}
		var back Message
		if err := msgpack.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("reads back as %+v (%v), want %+v", back, err, m)
		}
	})
}
