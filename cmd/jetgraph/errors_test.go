package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Bad input is one line on stderr and a non-zero exit: 2 for a command
// line that cannot run, 1 for one that failed. Never a stack trace or a
// hang.
func TestBadInputIsOneLineOnStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + t.TempDir() + "/jg.db"
	ok(t, nil, chatTurns, "chat", "--thread", "t1", "--data", dir)
	ok(t, nil, chatTurns, "chat", "--thread", "t1", "--saver", db)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown thread", []string{"history", "nope", "--data", dir}, 1, `thread "nope": no such thread`},
		{"unknown thread on sqlite", []string{"state", "nope", "--saver", db}, 1, `thread "nope": no such thread`},
		{"unknown thread to fork", []string{"fork", "nope", "--to", "x", "--data", dir}, 1, "no such thread"},
		{"unknown checkpoint", []string{"state", "t1", "--checkpoint", "01a00000-0000-7000-8000-000000000000", "--data", dir}, 1, "not found"},
		{"unknown checkpoint in diff", []string{"diff", "t1", "bogus", "bogus2", "--saver", db}, 1, "not found"},
		{"sequence past the log", []string{"state", "t1", "--seq", "999", "--data", dir}, 1, "holds events up to"},
		{"malformed update JSON", []string{"update", "t1", "--values", "{not json", "--data", dir}, 2, "malformed JSON"},
		{"no values", []string{"update", "t1", "--data", dir}, 2, `required flag(s) "values" not set`},
		{"a message without a role", []string{"update", "t1", "--values", `{"messages":[{"content":"x"}]}`, "--data", dir}, 2, `role ""`},
		{"malformed resume JSON", []string{"resume", "t1", "--value", "[", "--saver", db}, 2, "malformed JSON"},
		{"unknown node", []string{"update", "t1", "--as-node", "nobody", "--values", "{}", "--saver", db}, 1, `unknown node "nobody"`},
		{"unknown scheme", []string{"threads", "--saver", "foo://bar"}, 2, `unknown scheme "foo"`},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"threads", "--frob"}, 2, "unknown flag"},
		{"missing argument", []string{"history", "--data", dir}, 2, "accepts 1 arg"},
		{"missing --to-seq", []string{"replay", "t1", "--data", dir}, 2, "--to-seq N is required"},
		{"no saver named", []string{"threads"}, 2, "--saver URL"},
		{"tail without a stream", []string{"tail", "t1", "--saver", db}, 1, "tail needs the JetStream saver"},
		{"rebuild without a stream", []string{"rebuild", "--saver", db}, 1, "rebuild needs the JetStream saver"},
		{"events past the range", []string{"events", "t1", "--from-seq", "5", "--to-seq", "2", "--data", dir}, 2, "is after"},
		{"replay past the log", []string{"replay", "t1", "--to-seq", "999", "--saver", db}, 1, "holds events up to"},
		// Sequences that are negative, past the log or past any sequence.
		{"replay to a negative sequence", []string{"replay", "t1", "--to-seq", "-1", "--data", dir}, 2, "-1 is negative"},
		{"replay to the largest sequence", []string{"replay", "t1", "--to-seq", "18446744073709551615", "--data", dir}, 1, "holds events up to"},
		{"replay past any sequence", []string{"replay", "t1", "--to-seq", "18446744073709551616", "--saver", db}, 2, "larger than any event sequence"},
		{"replay to a word", []string{"replay", "t1", "--to-seq", "ten", "--saver", db}, 2, "not an event sequence"},
		{"events from a negative sequence", []string{"events", "t1", "--from-seq", "-3", "--saver", db}, 2, "-3 is negative"},
		{"events up to a negative sequence", []string{"events", "t1", "--to-seq", "-3", "--data", dir}, 2, "-3 is negative"},
		{"events past the log", []string{"events", "t1", "--from-seq", "999", "--data", dir}, 1, "holds events up to"},
		{"events past the log on sqlite", []string{"events", "t1", "--from-seq", "18446744073709551615", "--saver", db}, 1, "holds events up to"},
		{"state at a negative sequence", []string{"state", "t1", "--seq", "-1", "--saver", db}, 2, "-1 is negative"},
		{"state past any sequence", []string{"state", "t1", "--seq", "99999999999999999999", "--data", dir}, 2, "larger than any event sequence"},
	}
	for _, c := range cases {
		r := jg(t, nil, "", c.args...)
		if r.code != c.code || !strings.HasPrefix(r.stderr, "jetgraph: ") || strings.Count(r.stderr, "\n") != 1 ||
			!strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("%s: %v: exit %d, stderr %q; want exit %d and one line with %q", c.name, c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}

// An unreachable NATS server fails within seconds.
func TestUnreachableNATSFailsFast(t *testing.T) {
	t.Parallel()
	l := httptest.NewServer(http.NotFoundHandler()) // a port that is surely taken by something that is not NATS
	addr := strings.TrimPrefix(l.URL, "http://")
	l.Close() // now surely closed
	for _, args := range [][]string{
		{"threads", "--saver", "nats://" + addr},
		{"chat", "--thread", "t1", "--saver", "nats://" + addr},
		{"projector", "--once", "--nats", "nats://" + addr},
	} {
		start := time.Now()
		r := jg(t, nil, "hello\n", args...)
		if took := time.Since(start); r.code != 1 || strings.Count(r.stderr, "\n") != 1 || took > 10*time.Second {
			t.Errorf("%v: exit %d after %s, stderr %q", args, r.code, took, r.stderr)
		}
	}
}

// With OPENAI_API_KEY set, chat talks to the server OPENAI_BASE_URL names
// (any OpenAI-compatible server); a server error ends the chat with a
// one-line error.
func TestChatUsesTheModelTheEnvironmentNames(t *testing.T) {
	t.Parallel()
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"bad key"}}`))
			return
		}
		asked = append(asked, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c","object":"chat.completion","created":1,"model":"local",
			"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello from the server."}}]}`))
	}))
	defer srv.Close()
	env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_MODEL": "local"}
	out := ok(t, env, "hi\n", "chat", "--thread", "t1", "--saver", "memory")
	if !strings.Contains(out, "with local (OpenAI-compatible)") || !strings.Contains(out, "model: Hello from the server.") {
		t.Fatalf("chat:\n%s", out)
	}
	if len(asked) != 1 || asked[0] != "/v1/chat/completions" {
		t.Fatalf("the server was asked %v", asked)
	}
	env["OPENAI_API_KEY"] = "wrong"
	r := jg(t, env, "hi\n", "chat", "--thread", "t1", "--saver", "memory")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "401") {
		t.Fatalf("chat with a wrong key: %+v", r)
	}
}
