package graph

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/jetgraph/jetgraph/message"
)

// field is one channel of the state struct.
type field struct {
	name    string
	index   int
	typ     reflect.Type
	list    bool   // stored as the concatenated encodings of its items
	reducer string // reducerLast, reducerAppend, reducerMessages or a custom name
	custom  Reducer
}

// schema describes the state struct S.
type schema struct {
	typ    reflect.Type
	fields []*field
	byName map[string]*field
}

var messagesType = reflect.TypeFor[[]message.Message]()

// parseSchema reads the channels of t from its fields' graph tags.
func parseSchema(t reflect.Type, custom map[string]Reducer) (*schema, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("state type %v: must be a struct", t)
	}
	s := &schema{typ: t, byName: make(map[string]*field)}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, tagged := sf.Tag.Lookup("graph")
		if tag == "-" {
			continue
		}
		if !sf.IsExported() {
			if tagged {
				return nil, fmt.Errorf("state field %s: tagged but not exported", sf.Name)
			}
			continue
		}
		f, err := parseField(sf, tag, custom)
		if err != nil {
			return nil, fmt.Errorf("state field %s: tag %q: %w", sf.Name, tag, err)
		}
		f.index = i
		if _, dup := s.byName[f.name]; dup {
			return nil, fmt.Errorf("state field %s: channel %q is named twice", sf.Name, f.name)
		}
		s.fields = append(s.fields, f)
		s.byName[f.name] = f
	}
	if len(s.fields) == 0 {
		return nil, fmt.Errorf("state type %v: has no channels (exported fields)", t)
	}
	return s, nil
}

func parseField(sf reflect.StructField, tag string, custom map[string]Reducer) (*field, error) {
	parts := strings.Split(tag, ",")
	f := &field{name: strings.TrimSpace(parts[0]), typ: sf.Type}
	if f.name == "" {
		f.name = sf.Name
	}
	if strings.HasPrefix(f.name, "__") || strings.ContainsAny(f.name, ":,") {
		return nil, fmt.Errorf("channel name %q is reserved (no leading \"__\", no ':' or ',')", f.name)
	}
	for _, opt := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		if k != "reducer" {
			return nil, fmt.Errorf("unknown option %q (want reducer=...)", opt)
		}
		f.reducer = v
	}
	f.list = sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() != reflect.Uint8
	switch f.reducer {
	case reducerLast:
	case reducerAppend:
		if !f.list {
			return nil, fmt.Errorf("reducer append needs a slice field, not %v", sf.Type)
		}
	case reducerMessages:
		if sf.Type != messagesType {
			return nil, fmt.Errorf("reducer messages needs a []message.Message field, not %v", sf.Type)
		}
	default:
		r, ok := custom[f.reducer]
		if !ok {
			return nil, fmt.Errorf("unknown reducer %q (built in: append, messages; register others with AddReducer)", f.reducer)
		}
		if r.valueType() != sf.Type {
			return nil, fmt.Errorf("reducer %q works on %v, the field is %v", f.reducer, r.valueType(), sf.Type)
		}
		f.custom = r
	}
	return f, nil
}
