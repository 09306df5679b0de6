// Package openai is a chat model for jetgraph graphs over the official
// OpenAI Go SDK (github.com/openai/openai-go/v3). It maps a conversation of
// message.Message (human, AI, system and tool messages, with the tool
// calls of AI messages) to a chat completions request and the model's
// answer back to a message.Message. It speaks to any server with the chat
// completions protocol: OpenAI, vLLM, Ollama, llama.cpp.
//
// The guide's multi-turn graph with a real model:
//
//	model, err := openai.FromEnv(os.Getenv) // OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL
//	g := graph.New[State]()                 // State has a []message.Message field
//	g.AddNode("chat", openai.Node[State](model))
//	g.AddEdge(graph.START, "chat")
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/jetgraph/jetgraph/message"
)

// DefaultModel is the model asked when neither Config.Model nor
// OPENAI_MODEL names one.
const DefaultModel = "gpt-4o-mini"

// ErrNoAPIKey is returned by FromEnv when OPENAI_API_KEY is unset.
var ErrNoAPIKey = errors.New("openai: OPENAI_API_KEY is not set")

// Tool describes a function the model may call.
type Tool struct {
	// Name is the function's name. Required.
	Name string
	// Description tells the model when to call it. Defaults to none.
	Description string
	// Parameters is the JSON Schema of the arguments. Defaults to no
	// parameters.
	Parameters map[string]any
}

// Config configures a Model.
type Config struct {
	// APIKey authenticates the requests. Required (local servers accept
	// any value).
	APIKey string
	// BaseURL is the server's API root, as in http://localhost:8000/v1.
	// Defaults to the SDK's default, https://api.openai.com/v1/.
	BaseURL string
	// Model names the model. Defaults to DefaultModel.
	Model string
	// Tools are the functions the model may call. Defaults to none.
	Tools []Tool
	// MaxRetries is how often a failed request is retried. Defaults to the
	// SDK's default (2); negative means never.
	MaxRetries int
	// HTTPClient sends the requests. Defaults to the SDK's client.
	HTTPClient *http.Client
}

// Model is a chat model. It is safe for concurrent use.
type Model struct {
	client openai.Client
	model  string
	tools  []openai.ChatCompletionToolUnionParam
}

// New returns a model for cfg. It sends nothing until Reply.
func New(cfg Config) (*Model, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("openai: Config.APIKey: empty")
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	opts := []option.RequestOption{option.WithAPIKey(cfg.APIKey)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.MaxRetries < 0 {
		opts = append(opts, option.WithMaxRetries(0))
	} else if cfg.MaxRetries > 0 {
		opts = append(opts, option.WithMaxRetries(cfg.MaxRetries))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	m := &Model{client: openai.NewClient(opts...), model: cfg.Model}
	for i, t := range cfg.Tools {
		if t.Name == "" {
			return nil, fmt.Errorf("openai: Config.Tools[%d].Name: empty", i)
		}
		fn := shared.FunctionDefinitionParam{Name: t.Name, Parameters: t.Parameters}
		if t.Description != "" {
			fn.Description = openai.String(t.Description)
		}
		m.tools = append(m.tools, openai.ChatCompletionFunctionTool(fn))
	}
	return m, nil
}

// FromEnv returns a model configured by OPENAI_API_KEY (required),
// OPENAI_BASE_URL and OPENAI_MODEL, read with getenv (os.Getenv). Without
// a key it returns ErrNoAPIKey.
func FromEnv(getenv func(string) string) (*Model, error) {
	key := getenv("OPENAI_API_KEY")
	if key == "" {
		return nil, ErrNoAPIKey
	}
	return New(Config{APIKey: key, BaseURL: getenv("OPENAI_BASE_URL"), Model: getenv("OPENAI_MODEL")})
}

// Name returns the model's name, as the requests send it.
func (m *Model) Name() string { return m.model }

// Reply sends the conversation and returns the model's answer: an AI
// message with its text and the tools it calls. A status other than 2xx
// is an error that unwraps to *openai.Error with the status code.
func (m *Model) Reply(ctx context.Context, msgs []message.Message) (message.Message, error) {
	params := openai.ChatCompletionNewParams{Model: m.model, Tools: m.tools}
	for i, msg := range msgs {
		p, err := toParam(msg)
		if err != nil {
			return message.Message{}, fmt.Errorf("openai: message %d: %w", i, err)
		}
		params.Messages = append(params.Messages, p)
	}
	res, err := m.client.Chat.Completions.New(ctx, params)
	if err != nil {
		return message.Message{}, fmt.Errorf("openai: chat completion with %s: %w", m.model, err)
	}
	if len(res.Choices) == 0 {
		return message.Message{}, fmt.Errorf("openai: chat completion with %s: the answer has no choices", m.model)
	}
	return fromCompletion(res.Choices[0].Message), nil
}

// toParam maps one message to the request's form.
func toParam(m message.Message) (openai.ChatCompletionMessageParamUnion, error) {
	switch m.Role {
	case message.RoleHuman:
		p := openai.UserMessage(m.Content)
		if m.Name != "" {
			p.OfUser.Name = openai.String(m.Name)
		}
		return p, nil
	case message.RoleSystem:
		p := openai.SystemMessage(m.Content)
		if m.Name != "" {
			p.OfSystem.Name = openai.String(m.Name)
		}
		return p, nil
	case message.RoleTool:
		if m.ToolCallID == "" {
			return openai.ChatCompletionMessageParamUnion{}, errors.New("a tool message needs the id of the call it answers")
		}
		return openai.ToolMessage(m.Content, m.ToolCallID), nil
	case message.RoleAI:
		var a openai.ChatCompletionAssistantMessageParam
		if m.Content != "" || len(m.ToolCalls) == 0 {
			a.Content.OfString = openai.String(m.Content)
		}
		if m.Name != "" {
			a.Name = openai.String(m.Name)
		}
		for _, c := range m.ToolCalls {
			args := c.Args
			if args == "" {
				args = "{}"
			}
			a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID:       c.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: args},
				},
			})
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}, nil
	}
	return openai.ChatCompletionMessageParamUnion{}, fmt.Errorf("role %q has no chat completions form", m.Role)
}

// fromCompletion maps the model's answer to an AI message.
func fromCompletion(c openai.ChatCompletionMessage) message.Message {
	out := message.AI(c.Content)
	if out.Content == "" && c.Refusal != "" {
		out.Content = c.Refusal
	}
	for _, tc := range c.ToolCalls {
		switch tc.Type {
		case "custom":
			out.ToolCalls = append(out.ToolCalls, message.ToolCall{ID: tc.ID, Name: tc.Custom.Name, Args: tc.Custom.Input})
		default:
			out.ToolCalls = append(out.ToolCalls, message.ToolCall{ID: tc.ID, Name: tc.Function.Name, Args: tc.Function.Arguments})
		}
	}
	return out
}
