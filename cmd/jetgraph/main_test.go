package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoTellsTheWholeStory(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo", "--saver", "memory"}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"[user-123] you: What's my name?      model: Your name is Alice.",
		"[user-456] you: What's my name?      model: I don't know your name yet.",
		"[demo] you: What's my color?     model: Your color is blue.",
		"model answers again: Your color is blue.",
		"4 -> 5 messages",
		"resume: model: Noted: your color is red.",
		"[demo-fork] you: What's my color?     model: Your color is green.",
		`its last answer is still "Your color is red."`,
		"emails actually sent: 1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q\n%s", want, out.String())
		}
	}
}

func TestUnknownCommandIsAnError(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("err = %v", err)
	}
}
