package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
)

// branchTurns talks on a thread, rewinds one turn and talks again: the
// thread's history has two branches.
const branchTurns = "My color is blue.\nWhat's my color?\n/rewind 1\nMy color is green.\n"

// uiEnv is a UI server over a saver that holds what the test wrote
// through the commands before it opened.
type uiEnv struct {
	url string
	se  *session
}

// flagsOf turns saver command-line flags into the app's flags.
func flagsOf(args []string) saverFlags {
	if args[0] == "--data" {
		return saverFlags{saver: "jetstream", data: args[1]}
	}
	return saverFlags{saver: args[1]}
}

// setupUI opens the saver the flags name (after the commands that wrote to
// it have closed it) and serves the UI over it until the test ends.
func setupUI(t *testing.T, flags []string, allowWrites bool) uiEnv {
	t.Helper()
	a := &app{env: func(string) string { return "" }, saverFlags: flagsOf(flags)}
	se, err := a.open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h := newUIServer(se, a.describe(), allowWrites)
	srv := httptest.NewServer(h.handler())
	t.Cleanup(func() {
		srv.Close()
		h.wait()
		if err := se.close(); err != nil {
			t.Error(err)
		}
	})
	return uiEnv{url: srv.URL, se: se}
}

// call sends a request to the API and decodes the JSON answer into out
// (unless nil); it returns the status code.
func (e uiEnv) call(t *testing.T, method, path string, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q: %s", method, path, ct, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode
}

// get expects 200 from a GET.
func (e uiEnv) get(t *testing.T, path string, out any) {
	t.Helper()
	if code := e.call(t, "GET", path, "", out); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
}

func p(thread string) string { return "/api/threads/" + url.PathEscape(thread) }

// The API answers what the commands print with --json: the thread list,
// the head state, the history and the diff, on every durable saver.
func TestUIAPIAnswersWhatTheCommandsPrint(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			ok(t, nil, branchTurns, withSaver(s, "chat", "--thread", "dir/t1")...)
			ok(t, nil, "", withSaver(s, "fork", "dir/t1", "--to", "t2")...)
			threads := decode[[]threadInfo](t, ok(t, nil, "", withSaver(s, "threads", "--json")...))
			history := decode[[]jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "history", "dir/t1", "--json")...))
			head := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "dir/t1", "--json")...))
			a, b := history[1].CheckpointID, history[0].CheckpointID
			diff := decode[diffResult](t, ok(t, nil, "", withSaver(s, "diff", "dir/t1", a, b, "--json")...))

			e := setupUI(t, s, false)
			var gotThreads []threadInfo
			e.get(t, "/api/threads", &gotThreads)
			var gotHistory []jsonCheckpoint
			e.get(t, p("dir/t1")+"/history", &gotHistory)
			var gotHead jsonCheckpoint
			e.get(t, p("dir/t1"), &gotHead)
			var gotDiff diffResult
			e.get(t, p("dir/t1")+"/diff?from="+a+"&to="+b, &gotDiff)
			for _, c := range []struct {
				what      string
				got, want any
			}{{"threads", gotThreads, threads}, {"history", gotHistory, history}, {"state", gotHead, head}, {"diff", gotDiff, diff}} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s: the API answers\n%+v\nthe command prints\n%+v", c.what, c.got, c.want)
				}
			}
			if len(gotThreads) != 2 || len(gotHistory) < 8 {
				t.Fatalf("threads %+v, %d checkpoints", gotThreads, len(gotHistory))
			}

			var cp uiCheckpoint
			e.get(t, p("dir/t1")+"/checkpoints/"+b, &cp)
			if cp.CheckpointID != b || cp.Values == nil || len(cp.Values.Messages) != cp.Messages || len(cp.Channels) == 0 {
				t.Fatalf("checkpoint %s: %+v", b, cp)
			}
			if m := cp.Values.Messages; m[len(m)-1].Content != "Noted: your color is green." {
				t.Fatalf("checkpoint %s ends with %+v", b, m[len(m)-1])
			}
			var cfg uiConfig
			e.get(t, "/api/config", &cfg)
			if cfg.AllowWrites || (name == "jetstream") != (cfg.Live == "stream") {
				t.Fatalf("config %+v", cfg)
			}
		})
	}
}

// Bad requests get a JSON error with a 4xx code that says what is wrong.
func TestUIAPIRejectsBadRequests(t *testing.T) {
	t.Parallel()
	s := []string{"--saver", "sqlite://" + t.TempDir() + "/ui.db"}
	ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "t1")...)
	ro, rw := setupUI(t, s, false), setupUI(t, s, true)
	for _, c := range []struct {
		name         string
		e            uiEnv
		method, path string
		body         string
		code         int
		says         string
	}{
		{"unknown thread", ro, "GET", p("nope"), "", 404, `thread "nope": no such thread`},
		{"history of an unknown thread", ro, "GET", p("nope") + "/history", "", 404, "no such thread"},
		{"checkpoint of an unknown thread", ro, "GET", p("nope") + "/checkpoints/x", "", 404, "no such thread"},
		{"events of an unknown thread", ro, "GET", p("nope") + "/events", "", 404, "no such thread"},
		{"unknown checkpoint", ro, "GET", p("t1") + "/checkpoints/nope", "", 404, "checkpoint nope"},
		{"diff with an unknown checkpoint", ro, "GET", p("t1") + "/diff?from=nope&to=nope", "", 404, "checkpoint nope"},
		{"diff without checkpoints", ro, "GET", p("t1") + "/diff", "", 400, "name both checkpoints"},
		{"unknown route", ro, "GET", "/api/nothing", "", 404, "no API route"},
		{"fork when read-only", ro, "POST", p("t1") + "/fork", `{"to":"t9"}`, 403, "--allow-writes"},
		{"update when read-only", ro, "POST", p("t1") + "/update", `{"values":{"messages":[]}}`, 403, "--allow-writes"},
		{"resume when read-only", ro, "POST", p("t1") + "/resume", `{}`, 403, "--allow-writes"},
		{"malformed body", rw, "POST", p("t1") + "/update", `{"values":`, 400, "malformed JSON"},
		{"unknown field", rw, "POST", p("t1") + "/update", `{"valuez":{}}`, 400, "malformed JSON"},
		{"no values", rw, "POST", p("t1") + "/update", `{}`, 400, `"values" is required`},
		{"misspelt channel", rw, "POST", p("t1") + "/update", `{"values":{"mesages":[]}}`, 400, "mesages"},
		{"unknown role", rw, "POST", p("t1") + "/update", `{"values":{"messages":[{"role":"robot"}]}}`, 400, `role "robot"`},
		{"unknown node", rw, "POST", p("t1") + "/update", `{"as_node":"x","values":{"messages":[]}}`, 400, `unknown node "x"`},
		{"update an unknown thread", rw, "POST", p("nope") + "/update", `{"values":{"messages":[]}}`, 404, "no such thread"},
		{"fork without a name", rw, "POST", p("t1") + "/fork", `{}`, 400, `"to" names the new thread`},
		{"fork an unknown thread", rw, "POST", p("nope") + "/fork", `{"to":"t9"}`, 404, "no such thread"},
		{"fork an unknown checkpoint", rw, "POST", p("t1") + "/fork", `{"to":"t9","checkpoint_id":"nope"}`, 404, "nope"},
		{"resume with malformed JSON", rw, "POST", p("t1") + "/resume", `{"value":}`, 400, "malformed JSON"},
		{"answer without an interrupt", rw, "POST", p("t1") + "/resume", `{"value":"yes"}`, 409, "no interrupt"},
		{"another method", rw, "DELETE", p("t1"), "", 405, "the API has GET and POST"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got apiError
			code := c.e.call(t, c.method, c.path, c.body, &got)
			if code != c.code || !strings.Contains(got.Error, c.says) || strings.Contains(got.Error, "goroutine") {
				t.Fatalf("%s %s: %d %q, want %d and %q", c.method, c.path, code, got.Error, c.code, c.says)
			}
		})
	}
}

// With --allow-writes the API forks, updates and resumes as the commands
// do.
func TestUIAPIForksUpdatesAndResumes(t *testing.T) {
	t.Parallel()
	s := []string{"--data", t.TempDir()}
	ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "t1")...)
	e := setupUI(t, s, true)
	var hist []jsonCheckpoint
	e.get(t, p("t1")+"/history", &hist)
	first := hist[len(hist)-1]
	for hist[len(hist)-1].Messages == 0 {
		hist = hist[:len(hist)-1]
	}
	at := hist[len(hist)-1] // the first with a message

	var forked result
	if code := e.call(t, "POST", p("t1")+"/fork", `{"to":"t2","checkpoint_id":"`+at.CheckpointID+`"}`, &forked); code != 201 {
		t.Fatalf("fork: %d %+v", code, forked)
	}
	var t2 jsonCheckpoint
	e.get(t, p("t2"), &t2)
	if t2.Messages != at.Messages || t2.Parent == nil || t2.Parent.Thread != "t1" {
		t.Fatalf("fork of %s (%d messages) is %+v", at.CheckpointID, at.Messages, t2)
	}
	if first.Parent != nil {
		t.Fatalf("the first checkpoint has a parent: %+v", first)
	}

	var updated result
	if code := e.call(t, "POST", p("t2")+"/update",
		`{"as_node":"__start__","values":{"messages":[{"role":"human","content":"My color is red."}]}}`, &updated); code != 200 {
		t.Fatalf("update: %d", code)
	}
	if !reflect.DeepEqual(updated.Next, []string{"chat"}) || len(updated.Values.Messages) != at.Messages+1 {
		t.Fatalf("update: %+v", updated)
	}
	var resumed result
	if code := e.call(t, "POST", p("t2")+"/resume", `{}`, &resumed); code != 200 {
		t.Fatalf("resume: %d", code)
	}
	if m := resumed.Values.Messages; m[len(m)-1].Content != "Noted: your color is red." {
		t.Fatalf("resume: %+v", resumed)
	}
	var t1 jsonCheckpoint
	e.get(t, p("t1"), &t1)
	if t1.Messages != 4 {
		t.Fatalf("t1 changed: %+v", t1)
	}
}

// The event stream sends a change when the thread is written: from the
// JetStream tail, and by polling SQLite.
func TestUIEventsSendAChangeWhenTheThreadIsWritten(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]func(t *testing.T) []string{
		"jetstream": func(t *testing.T) []string { return []string{"--data", t.TempDir()} },
		"sqlite":    func(t *testing.T) []string { return []string{"--saver", "sqlite://" + t.TempDir() + "/ui.db"} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			flags := s(t)
			ok(t, nil, chatTurns, withSaver(flags, "chat", "--thread", "t1")...)
			e := setupUI(t, flags, false)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.url+p("t1")+"/events", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
				t.Fatalf("events: %d %s", res.StatusCode, ct)
			}
			lines := bufio.NewScanner(res.Body)
			next := func(want string) {
				t.Helper()
				for lines.Scan() {
					if strings.HasPrefix(lines.Text(), want) {
						return
					}
				}
				t.Fatalf("the stream ended before %q: %v", want, lines.Err())
			}
			next("event: ready")
			in := demo.State{Messages: []message.Message{message.Human("What's my color?")}}
			if _, err := e.se.chain.Invoke(ctx, in, graph.Config{ThreadID: "t1"}); err != nil {
				t.Fatal(err)
			}
			next("event: change")
			next("data: {\"seq\":")
		})
	}
}

// ui listens on loopback only, serves until interrupted, and stops with an
// event stream open.
func TestUICommandServesUntilInterrupted(t *testing.T) {
	t.Parallel()
	if r := jg(t, nil, "", "ui", "--data", t.TempDir(), "--listen", "0.0.0.0:8080"); r.code != 2 || !strings.Contains(r.stderr, "loopback only") {
		t.Fatalf("ui on 0.0.0.0: %+v", r)
	}
	dir := t.TempDir()
	ok(t, nil, chatTurns, "chat", "--thread", "t1", "--data", dir)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	uiCtx, stop := context.WithCancel(ctx)
	out := newNotifyBuffer()
	done := make(chan int, 1)
	go func() {
		done <- Main(uiCtx, []string{"ui", "--data", dir, "--listen", "127.0.0.1:0"}, func(string) string { return "" },
			strings.NewReader(""), out, out)
	}()
	banner := out.waitFor(t, ctx, "/ for ")
	base := strings.Fields(banner[strings.Index(banner, "http://"):])[0]
	res, err := http.Get(base + "api/threads/t1/events")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("events: %v %v", res, err)
	}
	defer res.Body.Close()
	page, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !bytes.Contains(body, []byte(`<script src="app.js">`)) || !strings.Contains(banner, "read-only") {
		t.Fatalf("page: %s\nbanner: %s", body, banner)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("ui exits %d:\n%s", code, out.String())
	}
}

// A web page on another origin cannot write through the user's browser,
// nor read through a DNS name that points at the loopback address; a
// write must send JSON.
func TestUIRefusesOtherOriginsAndHosts(t *testing.T) {
	t.Parallel()
	s := []string{"--saver", "sqlite://" + t.TempDir() + "/ui.db"}
	ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "t1")...)
	e := setupUI(t, s, true)
	for _, c := range []struct {
		name   string
		method string
		header map[string]string
		host   string
		code   int
		says   string
	}{
		{"a cross-site write", "POST", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, "", 403, "cross-origin"},
		{"a write from another origin", "POST", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, "", 403, "cross-origin"},
		{"a form post", "POST", map[string]string{"Content-Type": "text/plain"}, "", 415, "application/json"},
		{"a rebound DNS name", "GET", nil, "evil.example", 403, "not a loopback address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), c.method, e.url+p("t1")+"/fork", strings.NewReader(`{"to":"t9"}`))
			if c.method == "GET" {
				req, _ = http.NewRequestWithContext(t.Context(), c.method, e.url+"/api/threads", nil)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			if c.host != "" {
				req.Host = c.host
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got apiError
			_ = json.NewDecoder(res.Body).Decode(&got)
			if res.StatusCode != c.code || !strings.Contains(got.Error, c.says) {
				t.Fatalf("%d %q, want %d and %q", res.StatusCode, got.Error, c.code, c.says)
			}
		})
	}
	var threads []threadInfo
	e.get(t, "/api/threads", &threads)
	if len(threads) != 1 {
		t.Fatalf("a refused request wrote: %+v", threads)
	}
}
