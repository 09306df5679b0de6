package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
)

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonMessage is a message in --json output and in update's --values.
type jsonMessage struct {
	ID         string         `json:"id,omitempty"`
	Role       string         `json:"role"`
	Content    string         `json:"content,omitempty"`
	Name       string         `json:"name,omitempty"`
	ToolCalls  []jsonToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type jsonToolCall struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Args string `json:"args,omitempty"`
}

// jsonValues is the chat graph's state in JSON.
type jsonValues struct {
	Messages []jsonMessage `json:"messages"`
}

func toJSONValues(s demo.State) jsonValues {
	out := jsonValues{Messages: []jsonMessage{}}
	for _, m := range s.Messages {
		out.Messages = append(out.Messages, toJSONMessage(m))
	}
	return out
}

func toJSONMessage(m message.Message) jsonMessage {
	j := jsonMessage{ID: m.ID, Role: string(m.Role), Content: m.Content, Name: m.Name, ToolCallID: m.ToolCallID}
	for _, c := range m.ToolCalls {
		j.ToolCalls = append(j.ToolCalls, jsonToolCall(c))
	}
	return j
}

// state converts the values to the chat state; a message without a known
// role is an error.
func (v jsonValues) state() (demo.State, error) {
	var s demo.State
	for i, j := range v.Messages {
		switch message.Role(j.Role) {
		case message.RoleHuman, message.RoleAI, message.RoleSystem, message.RoleTool, message.RoleRemove:
		default:
			return s, fmt.Errorf("messages[%d]: role %q: want human, ai, system, tool or remove", i, j.Role)
		}
		m := message.Message{ID: j.ID, Role: message.Role(j.Role), Content: j.Content, Name: j.Name, ToolCallID: j.ToolCallID}
		for _, c := range j.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, message.ToolCall(c))
		}
		s.Messages = append(s.Messages, m)
	}
	return s, nil
}

// jsonCheckpoint describes one checkpoint in --json output.
type jsonCheckpoint struct {
	Thread       string      `json:"thread"`
	CheckpointID string      `json:"checkpoint_id"`
	Parent       *jsonRef    `json:"parent,omitempty"`
	Step         int         `json:"step"`
	Source       string      `json:"source"`
	Next         []string    `json:"next"`
	CreatedAt    time.Time   `json:"created_at"`
	Messages     int         `json:"messages"`
	Values       *jsonValues `json:"values,omitempty"`
	// Tasks and Interrupts come with the values: the next step's tasks,
	// with the errors of those that failed and the interrupts of those
	// waiting for a resume value.
	Tasks      []jsonTask      `json:"tasks,omitempty"`
	Interrupts []jsonInterrupt `json:"interrupts,omitempty"`
}

type jsonTask struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Done       bool            `json:"done"`
	Error      string          `json:"error,omitempty"`
	Interrupts []jsonInterrupt `json:"interrupts,omitempty"`
}

type jsonInterrupt struct {
	ID    string `json:"id"`
	Node  string `json:"node"`
	Value any    `json:"value"`
}

func toJSONInterrupts(in []graph.InterruptInfo) []jsonInterrupt {
	var out []jsonInterrupt
	for _, i := range in {
		out = append(out, jsonInterrupt{ID: i.ID, Node: i.Node, Value: i.Value})
	}
	return out
}

type jsonRef struct {
	Thread       string `json:"thread"`
	CheckpointID string `json:"checkpoint_id"`
}

func toJSONCheckpoint(s graph.Snapshot[demo.State], withValues bool) jsonCheckpoint {
	j := jsonCheckpoint{
		Thread: s.Config.ThreadID, CheckpointID: s.Config.CheckpointID,
		Step: s.Metadata.Step, Source: string(s.Metadata.Source), Next: s.Next,
		CreatedAt: s.CreatedAt.UTC(), Messages: len(s.Values.Messages),
	}
	if j.Next == nil {
		j.Next = []string{}
	}
	if p := s.ParentConfig; p != nil {
		j.Parent = &jsonRef{Thread: p.ThreadID, CheckpointID: p.CheckpointID}
	}
	if withValues {
		v := toJSONValues(s.Values)
		j.Values = &v
		for _, t := range s.Tasks {
			j.Tasks = append(j.Tasks, jsonTask{ID: t.ID, Name: t.Name, Done: t.Done, Error: t.Error,
				Interrupts: toJSONInterrupts(t.Interrupts)})
		}
		j.Interrupts = toJSONInterrupts(s.Interrupts)
	}
	return j
}

// line describes a checkpoint on one line.
func line(s graph.Snapshot[demo.State]) string {
	next := "-"
	if len(s.Next) > 0 {
		next = fmt.Sprint(s.Next)
	}
	return fmt.Sprintf("%s  step %2d  %-6s  next %-11s  %2d msgs  %s", s.Config.CheckpointID, s.Metadata.Step,
		s.Metadata.Source, next, len(s.Values.Messages), s.CreatedAt.UTC().Format("2006-01-02 15:04:05.000"))
}

// lastText is the text of the conversation's last message.
func lastText(s demo.State) string {
	if len(s.Messages) == 0 {
		return ""
	}
	return s.Messages[len(s.Messages)-1].Content
}

// writeJSONLine prints v as one line of JSON.
func writeJSONLine(a *app, v any) error { return json.NewEncoder(a.stdout).Encode(v) }
