// Package message holds the chat messages a conversation graph keeps in its
// state, and Merge, the reducer that adds them by id (LangGraph's
// add_messages).
//
// A state field of type []message.Message tagged
// `graph:"messages,reducer=messages"` accumulates messages across turns:
// a message whose id is new is appended, one whose id is already present
// replaces it, and a Remove message deletes it.
package message

// Role says who wrote a message.
type Role string

// The roles a message can have.
const (
	RoleHuman  Role = "human"
	RoleAI     Role = "ai"
	RoleSystem Role = "system"
	RoleTool   Role = "tool"
	// RoleRemove marks a request to delete the message with the same id.
	RoleRemove Role = "remove"
)

// ToolCall is a model's request to call a tool.
type ToolCall struct {
	ID   string `msgpack:"id"`
	Name string `msgpack:"name"`
	// Args is the call's arguments, usually JSON.
	Args string `msgpack:"args,omitempty"`
}

// Message is one turn of a conversation.
type Message struct {
	// ID identifies the message within its conversation. Merge assigns one
	// when it is empty.
	ID      string `msgpack:"id,omitempty"`
	Role    Role   `msgpack:"role"`
	Content string `msgpack:"content,omitempty"`
	// Name optionally names the author (a user, a tool).
	Name      string     `msgpack:"name,omitempty"`
	ToolCalls []ToolCall `msgpack:"tool_calls,omitempty"`
	// ToolCallID is, for a tool message, the id of the call it answers.
	ToolCallID string `msgpack:"tool_call_id,omitempty"`
}

// Human returns a message from the user.
func Human(content string) Message { return Message{Role: RoleHuman, Content: content} }

// AI returns a message from the model.
func AI(content string) Message { return Message{Role: RoleAI, Content: content} }

// System returns an instruction to the model.
func System(content string) Message { return Message{Role: RoleSystem, Content: content} }

// Tool returns a tool's answer to the call with id toolCallID.
func Tool(content, toolCallID string) Message {
	return Message{Role: RoleTool, Content: content, ToolCallID: toolCallID}
}

// Remove returns a message that, merged into a conversation, deletes the
// message with the given id.
func Remove(id string) Message { return Message{Role: RoleRemove, ID: id} }

// Equal reports whether m and o are the same message, field by field.
func (m Message) Equal(o Message) bool {
	if m.ID != o.ID || m.Role != o.Role || m.Content != o.Content || m.Name != o.Name ||
		m.ToolCallID != o.ToolCallID || len(m.ToolCalls) != len(o.ToolCalls) {
		return false
	}
	for i := range m.ToolCalls {
		if m.ToolCalls[i] != o.ToolCalls[i] {
			return false
		}
	}
	return true
}
