package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseValues feeds arbitrary text to parseValues, the parser of
// update's --values (and of the UI's update body): it never panics; it
// accepts exactly one JSON value and nothing after it; its errors say what
// is wrong; and what it accepts, printed as --json prints it, parses again
// to the same state. The seed corpus is in testdata/fuzz/FuzzParseValues.
func FuzzParseValues(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		s, err := parseValues(text)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "malformed JSON: ") && !strings.HasPrefix(msg, "messages[") {
				t.Fatalf("parseValues(%q): error %q says neither what is malformed nor which message is wrong", text, msg)
			}
			return
		}
		if !json.Valid([]byte(text)) {
			t.Fatalf("parseValues(%q) accepted text that is not one JSON value: %+v", text, s)
		}
		printed, err := json.Marshal(toJSONValues(s))
		if err != nil {
			t.Fatalf("the state parsed from %q does not print: %v", text, err)
		}
		again, err := parseValues(string(printed))
		if err != nil {
			t.Fatalf("printed values %s do not parse: %v", printed, err)
		}
		if len(s.Messages) == 0 && len(again.Messages) == 0 {
			return // nil and empty are the same conversation
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the state:\n%+v\n%+v", s, again)
		}
		for _, m := range s.Messages {
			if !utf8.ValidString(m.Content) || !utf8.ValidString(m.ID) {
				t.Fatalf("parsed message %+v holds invalid UTF-8", m)
			}
		}
	})
}

// FuzzParseResumeValue feeds arbitrary text to parseResumeValue, the
// parser of resume's --value (and the UI's resume value): it never panics,
// accepts the valid JSON texts (but for numbers beyond float64, which it
// refuses as out of range), and what it accepts encodes back to
// JSON that parses to the same value. The seed corpus is in
// testdata/fuzz/FuzzParseResumeValue.
func FuzzParseResumeValue(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		v, err := parseResumeValue([]byte(text))
		if err != nil {
			valid := json.Valid([]byte(text))
			switch msg := err.Error(); {
			case !valid && !strings.HasPrefix(msg, "malformed JSON: "):
				t.Fatalf("parseResumeValue(%q): error %q does not say the JSON is malformed", text, msg)
			case valid && !strings.Contains(msg, "out of range"):
				// the one valid JSON an any cannot hold: a number
				// beyond float64
				t.Fatalf("parseResumeValue(%q) refused valid JSON: %v", text, err)
			}
			return
		}
		if !json.Valid([]byte(text)) {
			t.Fatalf("parseResumeValue(%q) accepted invalid JSON: %#v", text, v)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("value %#v of %q does not encode: %v", v, text, err)
		}
		again, err := parseResumeValue(b)
		if err != nil || !reflect.DeepEqual(v, again) {
			t.Fatalf("round trip of %q through %s: %#v, %v; want %#v", text, b, again, err, v)
		}
	})
}
