package graph

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
)

// A channel value msgpack cannot store must be an error that names the
// channel, before anything is written. msgpack refuses a func, a chan or a
// complex number by itself, but it follows pointers without looking back:
// a value that refers to itself would recurse until the goroutine's stack
// overflows, which no recover catches. And a value of an interface type
// may encode into something that does not decode back into it (a map with
// float keys in an `any`): stored, it would make the thread unreadable.
// So before encoding, a value whose type can hold a cycle is walked for
// one, and after encoding, a value whose type holds an interface is
// decoded once.

// codecRisk is what encode must check of the values of one type.
type codecRisk struct {
	mayCycle     bool // the type is recursive or holds an interface
	hasInterface bool // the type holds an interface
}

var codecRisks sync.Map // reflect.Type → codecRisk

var (
	customEncoderType   = reflect.TypeFor[msgpack.CustomEncoder]()
	marshalerType       = reflect.TypeFor[msgpack.Marshaler]()
	binaryMarshalerType = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	errorType           = reflect.TypeFor[error]()
)

// opaque reports whether msgpack encodes values of t by a method of
// theirs, without looking inside them.
func opaque(t reflect.Type) bool {
	if t == errorType {
		return true
	}
	for _, i := range []reflect.Type{customEncoderType, marshalerType, binaryMarshalerType, textMarshalerType} {
		if t.Implements(i) || t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// riskOf returns what encoding values of t risks.
func riskOf(t reflect.Type) codecRisk {
	if r, ok := codecRisks.Load(t); ok {
		return r.(codecRisk)
	}
	var r codecRisk
	riskWalk(t, map[reflect.Type]bool{}, map[reflect.Type]bool{}, &r)
	codecRisks.Store(t, r)
	return r
}

// riskWalk visits the types values of t hold, as msgpack encodes them;
// a type met again while it is being visited is recursive.
func riskWalk(t reflect.Type, visiting, done map[reflect.Type]bool, r *codecRisk) {
	if visiting[t] {
		r.mayCycle = true
		return
	}
	if done[t] || opaque(t) {
		return
	}
	visiting[t] = true
	defer func() { delete(visiting, t); done[t] = true }()
	switch t.Kind() {
	case reflect.Interface:
		r.mayCycle, r.hasInterface = true, true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		riskWalk(t.Elem(), visiting, done, r)
	case reflect.Map:
		riskWalk(t.Key(), visiting, done, r)
		riskWalk(t.Elem(), visiting, done, r)
	case reflect.Struct:
		for i := range t.NumField() {
			if sf := t.Field(i); encodedField(sf) {
				riskWalk(sf.Type, visiting, done, r)
			}
		}
	}
}

// encodedField reports whether msgpack encodes the struct field.
func encodedField(sf reflect.StructField) bool {
	return (sf.IsExported() || sf.Anonymous) && sf.Tag.Get("msgpack") != "-"
}

// errCycle reports a value that refers to itself.
var errCycle = errors.New("it refers to itself (a cycle of pointers, maps, slices or interfaces): msgpack cannot encode it")

// visit is one pointer, map or slice on the path from the value's root.
type visit struct {
	ptr unsafe.Pointer
	typ reflect.Type
	n   int
}

// cycleError is errCycle with where the value reaches itself again.
type cycleError struct{ at []string } // outermost last

func (e *cycleError) Error() string {
	where := "value"
	for i := len(e.at) - 1; i >= 0; i-- {
		where += e.at[i]
	}
	return where + ": " + errCycle.Error()
}

func (e *cycleError) Unwrap() error { return errCycle }

// within adds, on the way out, the step from a value to the one inside it
// where the cycle was found.
func within(err *cycleError, step func() string) *cycleError {
	if err != nil {
		err.at = append(err.at, step())
	}
	return err
}

// checkAcyclic returns an error wrapping errCycle, naming where, when v
// reaches itself through what msgpack follows.
func checkAcyclic(v reflect.Value) error {
	if err := acyclic(v, map[visit]bool{}); err != nil {
		return err
	}
	return nil
}

func acyclic(v reflect.Value, path map[visit]bool) *cycleError {
	if !v.IsValid() || !riskOf(v.Type()).mayCycle {
		return nil
	}
	var k visit
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() || v.Kind() != reflect.Pointer && v.Len() == 0 {
			return nil
		}
		k = visit{v.UnsafePointer(), v.Type(), 0}
		if v.Kind() == reflect.Slice {
			k.n = v.Len()
		}
		if path[k] {
			return &cycleError{}
		}
		path[k] = true
		defer delete(path, k)
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return acyclic(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := acyclic(v.Index(i), path); err != nil {
				return within(err, func() string { return fmt.Sprintf("[%d]", i) })
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := acyclic(it.Key(), path); err != nil {
				return within(err, func() string { return "[a key]" })
			}
			if err := acyclic(it.Value(), path); err != nil {
				return within(err, func() string { return fmt.Sprintf("[%v]", it.Key()) })
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if sf := t.Field(i); encodedField(sf) {
				if err := acyclic(v.Field(i), path); err != nil {
					return within(err, func() string { return "." + sf.Name })
				}
			}
		}
	}
	return nil
}
