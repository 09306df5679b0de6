package fakemodel

import (
	"testing"

	"github.com/jetgraph/jetgraph/message"
)

func TestReplyAnswersFromEarlierTurns(t *testing.T) {
	t.Parallel()
	cases := []struct {
		turns []string
		want  string
	}{
		{[]string{"My color is blue."}, "Noted: your color is blue."},
		{[]string{"My color is blue.", "What's my color?"}, "Your color is blue."},
		{[]string{"What's my color?"}, "I don't know your color yet."},
		{[]string{"I'm Alice"}, "Nice to meet you, Alice."},
		{[]string{"I'm Alice", "What's my name?"}, "Your name is Alice."},
		{[]string{"My color is blue.", "My color is red.", "What is my color?"}, "Your color is red."},
		{[]string{"Try again."}, `You said: "Try again.".`},
	}
	for _, c := range cases {
		var msgs []message.Message
		for _, turn := range c.turns {
			msgs = append(msgs, message.Human(turn), message.AI("ok"))
		}
		if got := Reply(msgs).Content; got != c.want {
			t.Errorf("Reply(%q) = %q, want %q", c.turns, got, c.want)
		}
	}
}
