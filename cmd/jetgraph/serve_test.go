package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// serve runs the embedded server on a data directory; chat and tail reach
// it by URL; tail prints each new event as one line, for one thread and
// for all of them; both stop when interrupted.
func TestServeThenChatAndTailByURL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	serveCtx, stopServe := context.WithCancel(ctx)
	serveOut := newNotifyBuffer()
	served := make(chan int, 1)
	go func() {
		served <- Main(serveCtx, []string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0"},
			func(string) string { return "" }, strings.NewReader(""), serveOut, serveOut)
	}()
	banner := serveOut.waitFor(t, ctx, "serving JetStream on nats://127.0.0.1:")
	url := strings.Fields(banner[strings.Index(banner, "nats://"):])[0]
	env := map[string]string{"JETGRAPH_SAVER": url}

	type tailer struct {
		out, errOut *notifyBuffer
		done        chan int
		stop        context.CancelFunc
	}
	tail := func(args ...string) tailer {
		tctx, stop := context.WithCancel(ctx)
		tl := tailer{out: newNotifyBuffer(), errOut: newNotifyBuffer(), done: make(chan int, 1), stop: stop}
		go func() {
			tl.done <- Main(tctx, append([]string{"tail"}, args...), func(k string) string { return env[k] },
				strings.NewReader(""), tl.out, tl.errOut)
		}()
		tl.errOut.waitFor(t, ctx, "tailing ")
		return tl
	}
	one := tail("t1")
	all := tail("--json")

	ok(t, env, chatTurns, "chat", "--thread", "t1")
	ok(t, env, "hello\n", "chat", "--thread", "other")

	got := one.out.waitFor(t, ctx, "t1 seq ")
	all.out.waitFor(t, ctx, `"thread":"other"`)
	for _, tl := range []tailer{one, all} {
		tl.stop()
		if code := <-tl.done; code != 0 {
			t.Fatalf("tail exits %d: %s", code, tl.errOut.String())
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(one.out.String()), "\n") {
		if !strings.HasPrefix(l, "t1 seq ") {
			t.Fatalf("tail t1 printed %q among:\n%s", l, got)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(all.out.String()), "\n") {
		ev := decode[eventLine](t, l)
		if (ev.Thread != "t1" && ev.Thread != "other") || len(ev.Records) == 0 {
			t.Fatalf("tail --json printed %+v", ev)
		}
	}
	// The thread is on the server: another command reads it by URL.
	if st := decode[jsonCheckpoint](t, ok(t, env, "", "state", "t1", "--json")); st.Messages != 4 {
		t.Fatalf("state over the URL = %+v", st)
	}
	stopServe()
	if code := <-served; code != 0 || !strings.Contains(serveOut.String(), "stopping") {
		t.Fatalf("serve exits %d:\n%s", code, serveOut.String())
	}
}

func TestServeListensOnLoopbackUnlessToldOtherwise(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--data", t.TempDir(), "--listen", "nonsense"},
		{"serve", "--listen", "127.0.0.1:0"},
	} {
		if r := jg(t, nil, "", args...); r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: %+v", args, r)
		}
	}
	// Told otherwise, it listens where it is told, and says the server has
	// no authentication.
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan ran, 1)
	go func() { done <- jgCtx(ctx, t, nil, "", "serve", "--data", t.TempDir(), "--listen", "0.0.0.0:0") }()
	stop()
	r := <-done
	if r.code != 0 || !strings.Contains(r.stderr, "no authentication") || !strings.Contains(r.stdout, "serving JetStream on nats://") {
		t.Fatalf("serve on 0.0.0.0: %+v", r)
	}
}
