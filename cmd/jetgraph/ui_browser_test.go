package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium returns the browser's path; without one the test skips, unless
// CI is set.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI must run the browser test")
	}
	t.Skip("chromium is not installed; the browser test runs where it is (and always in CI)")
	return ""
}

// browser starts a headless Chromium for the test, with a window of
// 1280x800.
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return bctx
}

// screenshots is where the test saves its screenshots:
// $JETGRAPH_UI_SCREENSHOTS, else a temporary directory.
func screenshots(t *testing.T) string {
	if d := os.Getenv("JETGRAPH_UI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// page drives one browser tab.
type page struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func (p page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// until waits for a JavaScript expression to be true.
func (p page) until(what, expr string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		p.t.Fatalf("%s: %v\npage:\n%s", what, err, text)
	}
}

func eval[T any](p page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot saves a screenshot of the viewport as name.png.
func (p page) shot(name string) string {
	p.t.Helper()
	b, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.dir, name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
	return path
}

// The page, driven in headless Chromium over a JetStream server that
// another client writes to: the thread list, a thread's tree with both
// branches, a checkpoint's messages and diff, keyboard navigation, the
// editor's inline error, a fork that appears in the list, a write from
// another client that appears without a reload, an unknown thread, and a
// narrow window.
func TestUIPageInABrowser(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bctx := browser(t, ctx)

	// A JetStream server, written to by the commands (other clients).
	serveCtx, stopServe := context.WithCancel(ctx)
	serveOut := newNotifyBuffer()
	served := make(chan int, 1)
	go func() {
		served <- Main(serveCtx, []string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0"},
			func(string) string { return "" }, strings.NewReader(""), serveOut, serveOut)
	}()
	defer func() { stopServe(); <-served }()
	banner := serveOut.waitFor(t, ctx, "serving JetStream on nats://127.0.0.1:")
	env := map[string]string{"JETGRAPH_SAVER": strings.Fields(banner[strings.Index(banner, "nats://"):])[0]}
	ok(t, env, branchTurns, "chat", "--thread", "t1")
	ok(t, env, "", "fork", "t1", "--to", "t2")
	// t3: an update on the first turn's end starts a branch.
	ok(t, env, chatTurns, "chat", "--thread", "t3")
	for _, c := range decode[[]jsonCheckpoint](t, ok(t, env, "", "history", "t3", "--json")) {
		if c.Step == 1 {
			ok(t, env, "", "update", "t3", "--checkpoint", c.CheckpointID, "--as-node", "chat",
				"--values", `{"messages":[{"role":"ai","content":"Noted: your color is teal."}]}`)
			break
		}
	}

	uiCtx, stopUI := context.WithCancel(ctx)
	uiOut := newNotifyBuffer()
	uiDone := make(chan int, 1)
	go func() {
		uiDone <- Main(uiCtx, []string{"ui", "--listen", "127.0.0.1:0", "--allow-writes"},
			func(k string) string { return env[k] }, strings.NewReader(""), uiOut, uiOut)
	}()
	defer func() {
		stopUI()
		if code := <-uiDone; code != 0 {
			t.Errorf("ui exits %d:\n%s", code, uiOut.String())
		}
	}()
	uiBanner := uiOut.waitFor(t, ctx, "/ for ")
	base := strings.Fields(uiBanner[strings.Index(uiBanner, "http://"):])[0]

	p := page{t: t, ctx: bctx, dir: screenshots(t)}

	// The thread list, and its search by id prefix.
	p.do("open the page", chromedp.Navigate(base))
	p.until("the thread list", `document.querySelectorAll('#threads button').length === 3`)
	if got := eval[string](p, `document.querySelector('#threads').innerText`); !strings.Contains(got, "checkpoints") {
		t.Fatalf("thread list: %q", got)
	}
	p.do("search", chromedp.SendKeys(chromedp.CSS("#search"), "t2"))
	p.until("the search keeps t2 only", `[...document.querySelectorAll('#threads button')].map(b => b.dataset.thread).join() === "t2"`)
	p.do("clear the search", chromedp.SendKeys(chromedp.CSS("#search"), kb.Backspace+kb.Backspace))
	p.until("every thread again", `document.querySelectorAll('#threads button').length === 3`)

	// An update drawn as a branch.
	p.do("open t3", chromedp.Click(chromedp.CSS(`#threads button[data-thread="t3"]`)))
	p.until("t3's update branch", `document.querySelector('#thread-id').innerText === "t3" &&
		document.querySelector('#tree').innerText.includes("newer branch (update)") &&
		document.querySelector('#tree ul[role=group]').dataset.kind === "new input" &&
		document.querySelector('#messages').innerText.includes("Noted: your color is teal.")`)

	// A thread with two branches: the newest line and the older branch the
	// rewind left.
	p.do("open t1", chromedp.Click(chromedp.CSS(`#threads button[data-thread="t1"]`)))
	p.until("the tree", `document.querySelectorAll('#tree [role=treeitem]').length >= 8`)
	p.until("the head's messages", `document.querySelector('#messages').innerText.includes("Noted: your color is green.")`)
	if n := eval[int](p, `document.querySelectorAll('#tree ul[role=group] [role=treeitem]').length`); n == 0 {
		t.Fatal("the tree shows no branch")
	}
	p.until("the replay drawn as a branch", `document.querySelector('#tree').innerText.includes("newer branch (replay)") &&
		document.querySelector('#tree').innerText.includes("older branch from step 1 (new input)")`)
	p.until("the graph highlights nothing at the end", `document.querySelectorAll('#graph .gnode').length === 3`)

	// Click the older branch's last checkpoint: its conversation and the
	// diff from its parent.
	p.do("click the old branch's head", chromedp.Click(chromedp.CSS(`#tree ul[role=group] [role=treeitem]:last-child`)))
	p.until("its messages", `document.querySelector('#messages').innerText.includes("Your color is blue.") &&
		!document.querySelector('#messages').innerText.includes("green")`)
	p.until("its diff", `document.querySelector('#diff').innerText.includes("+ ai: Your color is blue.")`)
	p.shot("thread-1280x800")

	// Keyboard: arrow up moves the focus to the previous checkpoint, Enter
	// opens it, and it shows the graph with "chat" to run next.
	p.do("focus the tree", chromedp.Focus(chromedp.CSS(`#tree [aria-selected=true]`)))
	p.do("arrow up and enter", chromedp.KeyEvent(kb.ArrowUp), chromedp.KeyEvent(kb.Enter))
	p.until("the previous checkpoint", `document.activeElement.getAttribute('role') === 'treeitem' &&
		document.activeElement.getAttribute('aria-selected') === 'true' &&
		document.querySelector('#diff').innerText.includes("+ human: What's my color?")`)
	p.until("the next node highlighted", `[...document.querySelectorAll('#graph .gnode.next')].map(n => n.dataset.node).join() === "chat"`)
	p.until("the task of the next step", `document.querySelector('#tasks').innerText.includes("chat (done: its writes are recorded)")`)
	if outline := eval[string](p, `getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
		t.Errorf("the focused tree item shows no outline")
	}

	// The editor shows malformed JSON and the server's refusal inline.
	p.do("malformed JSON", chromedp.SetValue(chromedp.CSS("#update-values"), `{"messages": [`), chromedp.Click(chromedp.CSS("#update-btn")))
	p.until("the inline JSON error", `document.querySelector('#update-error').innerText.includes("Not valid JSON") &&
		document.querySelector('#update-values').getAttribute('aria-invalid') === 'true'`)
	p.do("a bad role", chromedp.SetValue(chromedp.CSS("#update-values"), `{"messages": [{"role": "robot", "content": "x"}]}`),
		chromedp.Click(chromedp.CSS("#update-btn")))
	p.until("the server's error inline", `document.querySelector('#update-error').innerText.includes('role "robot"')`)
	p.shot("editor-error")

	// Fork the selected checkpoint: the new thread appears and opens.
	p.do("fork", chromedp.SetValue(chromedp.CSS("#fork-to"), "t1-copy"), chromedp.Click(chromedp.CSS("#fork-btn")))
	p.until("the fork in the list", `!!document.querySelector('#threads button[data-thread="t1-copy"]')`)
	p.until("the fork opens", `document.querySelector('#thread-id').innerText === "t1-copy" &&
		document.querySelector('#diff').innerText.includes("Forked from thread t1") &&
		document.querySelector('#tree').innerText.includes("forked from t1")`)

	// Another client writes on the thread: the page shows it without a
	// reload.
	p.until("the live stream", `!document.querySelector('#live').hidden`)
	start := time.Now()
	ok(t, env, "My color is purple.\n", "chat", "--thread", "t1-copy")
	wrote := time.Now()
	p.until("the other client's write", `document.querySelector('#messages').innerText.includes("Noted: your color is purple.")`)
	t.Logf("the page showed the write %v after the writer returned (%v after it started)", time.Since(wrote), time.Since(start))
	p.shot("live-update")

	// Update the state as the input and resume: the model answers.
	p.do("update as the input", chromedp.SetValue(chromedp.CSS("#update-node"), "__start__"),
		chromedp.SetValue(chromedp.CSS("#update-values"), `{"messages": [{"role": "human", "content": "My color is orange."}]}`),
		chromedp.Click(chromedp.CSS("#update-btn")))
	p.until("the update", `document.querySelector('#status').innerText.includes("next chat") &&
		document.querySelector('#messages').innerText.includes("My color is orange.") &&
		document.querySelector('#update-error').innerText === "" &&
		document.querySelector('#tasks').innerText.includes("chat (pending)")`)
	p.do("resume", chromedp.Click(chromedp.CSS("#resume-btn")))
	p.until("the answer", `document.querySelector('#messages').innerText.includes("Noted: your color is orange.")`)

	// A read-only server shows no write controls and says how to get them.
	ro := setupUI(t, []string{"--saver", env["JETGRAPH_SAVER"]}, false)
	p.do("a read-only server", chromedp.Navigate(strings.Replace(ro.url, "127.0.0.1", "localhost", 1)+"/#/thread/t1"))
	p.until("no write controls", `document.querySelector('#messages').innerText.includes("green") &&
		!document.querySelector('#readonly').hidden && document.querySelector('#write-forms').hidden &&
		document.querySelector('#mode').innerText === "read-only"`)

	// An unknown thread says so.
	p.do("an unknown thread", chromedp.Navigate(base+"#/thread/nope"))
	p.until("the error", `!document.querySelector('#error').hidden &&
		document.querySelector('#error').innerText.includes('Thread "nope" does not exist')`)

	// A narrow window: one column, nothing wider than the window.
	p.do("a narrow window", chromedp.EmulateViewport(400, 800), chromedp.Navigate(base+"#/thread/t1"))
	p.until("the narrow thread view", `document.querySelector('#messages').innerText.includes("green")`)
	if w := eval[int](p, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("at 400 px wide the page is %d px wide", w)
	}
	p.shot("thread-400x800")
}
