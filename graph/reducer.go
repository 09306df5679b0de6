package graph

import (
	"fmt"
	"reflect"

	"github.com/jetgraph/jetgraph/saver"
)

// Reducer combines a channel's current value with an update. Make one with
// ReducerFunc and register it on the builder with StateGraph.AddReducer; a
// field selects it with `graph:"name,reducer=<registered name>"`.
type Reducer interface {
	valueType() reflect.Type
	reduce(current, update reflect.Value) reflect.Value
}

type reducerFunc[T any] func(current, update T) T

func (f reducerFunc[T]) valueType() reflect.Type { return reflect.TypeFor[T]() }

func (f reducerFunc[T]) reduce(current, update reflect.Value) reflect.Value {
	return reflect.ValueOf(f(current.Interface().(T), update.Interface().(T)))
}

// ReducerFunc returns a Reducer for fields of type T. fn must not modify
// its arguments.
func ReducerFunc[T any](fn func(current, update T) T) Reducer { return reducerFunc[T](fn) }

// The built-in reducer names.
const (
	reducerLast     = ""
	reducerAppend   = "append"
	reducerMessages = "messages"
)

func checkReducerName(name string) error {
	if name == reducerAppend || name == reducerMessages {
		return saver.Invalid("reducer name", fmt.Sprintf("%q is built in", name))
	}
	if name == "" {
		return saver.Invalid("reducer name", "empty")
	}
	return nil
}
