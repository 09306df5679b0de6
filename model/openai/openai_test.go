package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	sdk "github.com/openai/openai-go/v3"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/model/openai"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// wireMessage is a chat completions message as it travels.
type wireMessage struct {
	Role       string `json:"role"`
	Content    any    `json:"content"`
	Name       string `json:"name,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
	ToolCalls  []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls,omitempty"`
}

type wireRequest struct {
	Model    string        `json:"model"`
	Messages []wireMessage `json:"messages"`
	Tools    []struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

// server is a chat completions server: each request is recorded and
// answered by the next of answers (a status and a JSON body).
type server struct {
	t        *testing.T
	mu       sync.Mutex
	requests []wireRequest
	answers  []answer
	url      string
}

type answer struct {
	status int
	body   string
}

func setup(t *testing.T, answers ...answer) *server {
	t.Helper()
	s := &server{t: t, answers: answers}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.url = ts.URL + "/v1"
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
		return
	}
	var req wireRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	if len(s.answers) == 0 {
		s.mu.Unlock()
		http.Error(w, `{"error":{"message":"no more answers"}}`, http.StatusInternalServerError)
		return
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func (s *server) request(i int) wireRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.requests) {
		s.t.Fatalf("the server got %d requests, want request %d", len(s.requests), i)
	}
	return s.requests[i]
}

func completion(msg string) answer {
	return answer{http.StatusOK, `{"id":"c1","object":"chat.completion","created":1,"model":"m",
		"choices":[{"index":0,"finish_reason":"stop","message":` + msg + `}]}`}
}

func roles(msgs []wireMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Role)
	}
	return out
}

func TestReplySendsToolCallsAndTheirAnswersBack(t *testing.T) {
	t.Parallel()
	s := setup(t,
		completion(`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]}`),
		completion(`{"role":"assistant","content":"It is sunny in Paris."}`),
	)
	m, err := openai.New(openai.Config{APIKey: "test-key", BaseURL: s.url, Model: "test-model",
		Tools: []openai.Tool{{Name: "weather", Description: "the weather in a city",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	conv := []message.Message{message.System("Be brief."), message.Human("Weather in Paris?")}
	call, err := m.Reply(t.Context(), conv)
	if err != nil {
		t.Fatal(err)
	}
	want := []message.ToolCall{{ID: "call_1", Name: "weather", Args: `{"city":"Paris"}`}}
	if call.Role != message.RoleAI || call.Content != "" || !reflect.DeepEqual(call.ToolCalls, want) {
		t.Fatalf("first answer = %+v, want an AI message calling %+v", call, want)
	}
	first := s.request(0)
	if first.Model != "test-model" || !reflect.DeepEqual(roles(first.Messages), []string{"system", "user"}) ||
		len(first.Tools) != 1 || first.Tools[0].Function.Name != "weather" || first.Tools[0].Type != "function" {
		t.Fatalf("first request = %+v", first)
	}

	conv = append(conv, call, message.Tool("sunny, 24°C", "call_1"))
	final, err := m.Reply(t.Context(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if final.Content != "It is sunny in Paris." || len(final.ToolCalls) != 0 {
		t.Fatalf("final answer = %+v", final)
	}
	second := s.request(1)
	if !reflect.DeepEqual(roles(second.Messages), []string{"system", "user", "assistant", "tool"}) {
		t.Fatalf("second request roles = %v", roles(second.Messages))
	}
	asst, tool := second.Messages[2], second.Messages[3]
	if len(asst.ToolCalls) != 1 || asst.ToolCalls[0].ID != "call_1" || asst.ToolCalls[0].Type != "function" ||
		asst.ToolCalls[0].Function.Name != "weather" || asst.ToolCalls[0].Function.Arguments != `{"city":"Paris"}` {
		t.Fatalf("the assistant's tool call went back as %+v", asst)
	}
	if tool.ToolCallID != "call_1" || tool.Content != "sunny, 24°C" {
		t.Fatalf("the tool answer went as %+v", tool)
	}
}

func TestReplyReportsAnErrorStatus(t *testing.T) {
	t.Parallel()
	s := setup(t, answer{http.StatusBadRequest, `{"error":{"message":"model not found","type":"invalid_request_error","code":"model_not_found"}}`})
	m, err := openai.New(openai.Config{APIKey: "test-key", BaseURL: s.url, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Reply(t.Context(), []message.Message{message.Human("hi")})
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Fatalf("err = %v, want an *openai.Error with status 400", err)
	}
	// A wrong key is the server's 401, not a panic or an empty answer.
	bad, _ := openai.New(openai.Config{APIKey: "wrong", BaseURL: s.url, MaxRetries: -1})
	if _, err := bad.Reply(t.Context(), []message.Message{message.Human("hi")}); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key: err = %v", err)
	}
}

func TestReplyRejectsMessagesWithoutAChatForm(t *testing.T) {
	t.Parallel()
	m, err := openai.New(openai.Config{APIKey: "test-key", BaseURL: "http://127.0.0.1:1/v1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []message.Message{message.Remove("x"), {Role: message.RoleTool, Content: "no call id"}} {
		if _, err := m.Reply(t.Context(), []message.Message{msg}); err == nil {
			t.Errorf("%+v was sent", msg)
		}
	}
}

func TestFromEnvNeedsAKeyAndReadsTheModel(t *testing.T) {
	t.Parallel()
	if _, err := openai.FromEnv(func(string) string { return "" }); !errors.Is(err, openai.ErrNoAPIKey) {
		t.Fatalf("no key: err = %v", err)
	}
	s := setup(t, completion(`{"role":"assistant","content":"hello"}`))
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": s.url, "OPENAI_MODEL": "llama3"}
	m, err := openai.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reply(t.Context(), []message.Message{message.Human("hi")}); err != nil {
		t.Fatal(err)
	}
	if got := s.request(0).Model; got != "llama3" || m.Name() != "llama3" {
		t.Fatalf("model sent = %q", got)
	}
}

type State struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

// The guide's multi-turn graph, three lines with the model: the second
// turn sends the first turn's question and answer back.
func TestNodeKeepsAConversationAcrossTurns(t *testing.T) {
	t.Parallel()
	s := setup(t,
		completion(`{"role":"assistant","content":"Nice to meet you, Alice."}`),
		completion(`{"role":"assistant","content":"Your name is Alice."}`),
	)
	model, err := openai.New(openai.Config{APIKey: "test-key", BaseURL: s.url})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New[State]()
	g.AddNode("chat", openai.Node[State](model))
	g.AddEdge(graph.START, "chat")
	chain, err := g.Compile(graph.WithCheckpointer(memory.New()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{ThreadID: "t1"}
	ctx := context.Background()
	if _, err := chain.Invoke(ctx, State{Messages: []message.Message{message.Human("I'm Alice")}}, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := chain.Invoke(ctx, State{Messages: []message.Message{message.Human("What's my name?")}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 4 || out.Messages[3].Content != "Your name is Alice." {
		t.Fatalf("conversation = %+v", out.Messages)
	}
	if got := roles(s.request(1).Messages); !reflect.DeepEqual(got, []string{"user", "assistant", "user"}) {
		t.Fatalf("second turn sent %v", got)
	}
}

type noMessages struct{ N int }

func TestNodeFailsOnAStateWithoutMessages(t *testing.T) {
	t.Parallel()
	node := openai.Node[noMessages](nil)
	if _, err := node(t.Context(), noMessages{}); err == nil {
		t.Fatal("a state without messages went through")
	}
}
