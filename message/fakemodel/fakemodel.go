// Package fakemodel is an offline chat model for examples, tests and the
// demo: it answers from the conversation alone, so a graph's memory is
// visible without a network or an API key.
//
// It remembers facts said as "My <thing> is <value>." and names said as
// "I'm <name>" or "I am <name>", and answers "What's my <thing>?" from them.
// Anything else is acknowledged.
package fakemodel

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/jetgraph/jetgraph/message"
)

var (
	factRe     = regexp.MustCompile(`(?i)\bmy ([a-z ]+?) is ([^.!?]+)`)
	nameRe     = regexp.MustCompile(`(?i)\bi(?:'m| am) ([^.!?,]+)`)
	questionRe = regexp.MustCompile(`(?i)\bwhat(?:'s| is) my ([a-z ]+?)\s*\?`)
)

// Reply returns the model's answer to the last human message of msgs.
func Reply(msgs []message.Message) message.Message {
	facts := map[string]string{}
	last := ""
	for _, m := range msgs {
		if m.Role != message.RoleHuman {
			continue
		}
		last = m.Content
		if questionRe.MatchString(m.Content) {
			continue
		}
		for _, f := range factRe.FindAllStringSubmatch(m.Content, -1) {
			facts[strings.ToLower(f[1])] = strings.TrimSpace(f[2])
		}
		if n := nameRe.FindStringSubmatch(m.Content); n != nil {
			facts["name"] = strings.TrimSpace(n[1])
		}
	}
	return message.AI(answer(last, facts))
}

func answer(last string, facts map[string]string) string {
	if q := questionRe.FindStringSubmatch(last); q != nil {
		key := strings.ToLower(q[1])
		if v, ok := facts[key]; ok {
			return fmt.Sprintf("Your %s is %s.", key, v)
		}
		return fmt.Sprintf("I don't know your %s yet.", key)
	}
	if n := nameRe.FindStringSubmatch(last); n != nil {
		return fmt.Sprintf("Nice to meet you, %s.", strings.TrimSpace(n[1]))
	}
	if f := factRe.FindStringSubmatch(last); f != nil {
		return fmt.Sprintf("Noted: your %s is %s.", strings.ToLower(f[1]), strings.TrimSpace(f[2]))
	}
	if last == "" {
		return "Hello! How can I help?"
	}
	return fmt.Sprintf("You said: %q.", last)
}
