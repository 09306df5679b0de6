package openai

import (
	"context"
	"fmt"
	"reflect"

	"github.com/jetgraph/jetgraph/message"
)

// Replier answers a conversation; *Model is one.
type Replier interface {
	Reply(ctx context.Context, msgs []message.Message) (message.Message, error)
}

var messagesType = reflect.TypeFor[[]message.Message]()

// Node returns a graph node for a state struct S with a field of type
// []message.Message (the first such field, normally tagged
// `graph:"messages,reducer=messages"`): the node sends the conversation to
// m and returns the answer in that field, for the reducer to append. A
// state without such a field makes the node fail.
func Node[S any](m Replier) func(context.Context, S) (S, error) {
	field := messagesField(reflect.TypeFor[S]())
	return func(ctx context.Context, st S) (S, error) {
		var out S
		if field == nil {
			return out, fmt.Errorf("openai: node: state %T has no []message.Message field", st)
		}
		msgs := reflect.ValueOf(st).FieldByIndex(field).Interface().([]message.Message)
		reply, err := m.Reply(ctx, msgs)
		if err != nil {
			return out, err
		}
		reflect.ValueOf(&out).Elem().FieldByIndex(field).Set(reflect.ValueOf([]message.Message{reply}))
		return out, nil
	}
}

func messagesField(t reflect.Type) []int {
	if t.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && f.Type == messagesType {
			return f.Index
		}
	}
	return nil
}
