package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// decode parses a command's --json output.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	return v
}

// withSaver prefixes a command line with the saver flags.
func withSaver(saver []string, args ...string) []string {
	return append(slices.Clone(args), saver...)
}

// chatTurns talks on thread t1: two turns.
const chatTurns = "My color is blue.\nWhat's my color?\n"

// Chat keeps a conversation across runs of the command (restarts), and
// /history, /fork and /rewind work inside it.
func TestChatKeepsTheThreadAcrossRestarts(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			out := ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "t1")...)
			for _, want := range []string{"with the offline model", "model: Noted: your color is blue.", "model: Your color is blue."} {
				if !strings.Contains(out, want) {
					t.Fatalf("chat lacks %q:\n%s", want, out)
				}
			}
			// A new process: the thread remembers.
			out = ok(t, nil, "What's my color?\n/history\n/fork t2\nMy color is green.\n/rewind 1\nWhat's my color?\n/quit\n",
				withSaver(s, "chat", "--thread", "t1")...)
			for _, want := range []string{
				"(4 messages so far)",
				"model: Your color is blue.",
				"step  7  loop    next -", // /history: the third turn's end
				"forked t1 into t2",
				"model: Noted: your color is green.",
				"rewound 1 turn(s)",
			} {
				if !strings.Contains(out, want) {
					t.Fatalf("second chat lacks %q:\n%s", want, out)
				}
			}
			// After the rewind on t2, "green" is forgotten: the branch starts
			// before it.
			if got := out[strings.LastIndex(out, "model: "):]; !strings.Contains(got, "Your color is blue.") {
				t.Fatalf("after /rewind 1 the model says %q", got)
			}
			st := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "t1", "--json")...))
			if st.Messages != 6 {
				t.Fatalf("t1 holds %d messages after three turns, want 6", st.Messages)
			}
		})
	}
}

func TestThreadsListsEveryThreadWithItsSize(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "a")...)
			ok(t, nil, "hello\n", withSaver(s, "chat", "--thread", "b")...)
			infos := decode[[]threadInfo](t, ok(t, nil, "", withSaver(s, "threads", "--json")...))
			if len(infos) != 2 || infos[0].Thread != "a" || infos[1].Thread != "b" {
				t.Fatalf("threads = %+v", infos)
			}
			if a := infos[0]; a.Checkpoints != 6 || a.Events == 0 || a.Bytes == 0 || a.UpdatedAt.IsZero() {
				t.Fatalf("thread a = %+v", a)
			}
			if text := ok(t, nil, "", withSaver(s, "threads")...); !strings.Contains(text, "2 threads") || !strings.Contains(text, "6 checkpoints") {
				t.Fatalf("threads prints:\n%s", text)
			}
		})
	}
}

// history, state and diff read a thread after a replay and a fork; the
// tree shows the replay's branch.
func TestHistoryStateAndDiffAfterAReplayAndAFork(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "t1")...)
			hist := decode[[]jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "history", "t1", "--json")...))
			if len(hist) != 6 || hist[0].Step != 4 || hist[5].Source != "input" || hist[0].Messages != 4 {
				t.Fatalf("history = %+v", hist)
			}
			if hist[1].Parent == nil || hist[0].Parent.CheckpointID != hist[1].CheckpointID {
				t.Fatalf("the head's parent is %+v, want %s", hist[0].Parent, hist[1].CheckpointID)
			}

			// state: latest, at a checkpoint, as of event 1 (the first turn).
			head := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "t1", "--json")...))
			if head.CheckpointID != hist[0].CheckpointID || len(head.Values.Messages) != 4 || head.Values.Messages[3].Content != "Your color is blue." {
				t.Fatalf("state = %+v", head)
			}
			at := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "t1", "--checkpoint", hist[3].CheckpointID, "--json")...))
			if at.CheckpointID != hist[3].CheckpointID || at.Messages != 2 {
				t.Fatalf("state --checkpoint = %+v", at)
			}
			// The event that ends the first turn.
			turn1 := seqOf(t, ok(t, nil, "", withSaver(s, "events", "t1", "--json")...), hist[3].CheckpointID)
			seq1 := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "t1", "--seq", turn1, "--json")...))
			if seq1.CheckpointID != hist[3].CheckpointID || len(seq1.Values.Messages) != 2 || seq1.Values.Messages[1].Content != "Noted: your color is blue." || len(seq1.Next) != 0 {
				t.Fatalf("state --seq 1 = %+v", seq1)
			}

			// diff: the second turn added a question and an answer.
			d := decode[diffResult](t, ok(t, nil, "", withSaver(s, "diff", "t1", seq1.CheckpointID, head.CheckpointID, "--json")...))
			var msgs *channelDiff
			for i := range d.Channels {
				if d.Channels[i].Channel == "messages" {
					msgs = &d.Channels[i]
				}
			}
			if msgs == nil || len(msgs.Added) != 2 || msgs.Added[0].Content != "What's my color?" || msgs.Unchanged != 2 || len(msgs.Changed)+len(msgs.Removed) != 0 {
				t.Fatalf("diff = %+v", d)
			}
			if text := ok(t, nil, "", withSaver(s, "diff", "t1", seq1.CheckpointID, head.CheckpointID)...); !strings.Contains(text, "+ ") || !strings.Contains(text, "human: What's my color?") {
				t.Fatalf("diff prints:\n%s", text)
			}

			// replay the first turn's answer: a new branch, head moves.
			rp := decode[result](t, ok(t, nil, "", withSaver(s, "replay", "t1", "--to-seq", turn1, "--json")...))
			if rp.CheckpointID == head.CheckpointID || len(rp.Values.Messages) != 2 || rp.Values.Messages[1].Content != "Noted: your color is blue." {
				t.Fatalf("replay = %+v", rp)
			}
			fk := decode[result](t, ok(t, nil, "", withSaver(s, "fork", "t1", "--checkpoint", head.CheckpointID, "--to", "t1-copy", "--json")...))
			if fk.Thread != "t1-copy" || fk.CheckpointID == "" {
				t.Fatalf("fork = %+v", fk)
			}
			copied := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "t1-copy", "--json")...))
			if len(copied.Values.Messages) != 4 || copied.Values.Messages[3].Content != "Your color is blue." {
				t.Fatalf("the fork holds %+v", copied.Values)
			}

			tree := ok(t, nil, "", withSaver(s, "history", "t1", "--tree")...)
			lines := strings.Split(strings.TrimSpace(tree), "\n")
			if len(lines) != 9 || !strings.HasPrefix(lines[2], `|\`) || !strings.HasPrefix(lines[3], "| * ") ||
				!strings.Contains(tree, "(replay)") || !strings.HasSuffix(lines[8], "<- head") || strings.HasPrefix(lines[8], "|") {
				t.Fatalf("history --tree:\n%s", tree)
			}
			plain := ok(t, nil, "", withSaver(s, "history", "t1")...)
			if n := strings.Count(plain, "\n"); n != 8 {
				t.Fatalf("history prints %d lines, want 8:\n%s", n, plain)
			}
		})
	}
}

func TestUpdateThenResume(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "t1")...)
			up := decode[result](t, ok(t, nil, "", withSaver(s, "update", "t1", "--as-node", "__start__", "--json",
				"--values", `{"messages":[{"role":"human","content":"My color is red."}]}`)...))
			if len(up.Values.Messages) != 5 || up.Values.Messages[4].Content != "My color is red." {
				t.Fatalf("update = %+v", up)
			}
			st := decode[jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "state", "t1", "--json")...))
			if st.Source != "update" || !slices.Equal(st.Next, []string{"chat"}) {
				t.Fatalf("after update: %+v", st)
			}
			rs := decode[result](t, ok(t, nil, "", withSaver(s, "resume", "t1", "--json")...))
			if n := len(rs.Values.Messages); n != 6 || rs.Values.Messages[5].Content != "Noted: your color is red." {
				t.Fatalf("resume = %+v", rs)
			}
			// The chat graph never interrupts: a resume value has nothing to answer.
			if r := jg(t, nil, "", withSaver(s, "resume", "t1", "--value", `"yes"`)...); r.code != 1 || !strings.Contains(r.stderr, "no interrupt is pending") {
				t.Fatalf("resume --value: %+v", r)
			}
		})
	}
}

func TestEventsPrintsARangeOfTheLog(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			ok(t, nil, chatTurns+"My name is Bob.\n", withSaver(s, "chat", "--thread", "t1")...)
			all := ok(t, nil, "", withSaver(s, "events", "t1", "--json")...)
			var seqs []uint64
			for _, l := range strings.Split(strings.TrimSpace(all), "\n") {
				ev := decode[eventLine](t, l)
				if ev.Thread != "t1" || ev.Bytes == 0 || len(ev.Records) == 0 {
					t.Fatalf("event = %+v", ev)
				}
				seqs = append(seqs, ev.Seq)
			}
			if len(seqs) < 3 || !slices.IsSorted(seqs) || seqs[0] != 1 {
				t.Fatalf("three turns stored events %v", seqs)
			}
			some := ok(t, nil, "", withSaver(s, "events", "t1", "--from-seq", "2", "--to-seq", "2")...)
			if strings.Count(some, "\n") != 1 || !strings.HasPrefix(some, "t1 seq 2 ") || !strings.Contains(some, "checkpoint ") {
				t.Fatalf("events --from-seq 2 --to-seq 2:\n%s", some)
			}
		})
	}
}

func TestDeleteAndPrune(t *testing.T) {
	t.Parallel()
	for name, saver := range savers(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := saver(t)
			ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "a")...)
			ok(t, nil, chatTurns, withSaver(s, "chat", "--thread", "b")...)
			decode[map[string]any](t, ok(t, nil, "", withSaver(s, "delete", "a", "--json")...))
			infos := decode[[]threadInfo](t, ok(t, nil, "", withSaver(s, "threads", "--json")...))
			if len(infos) != 1 || infos[0].Thread != "b" {
				t.Fatalf("after delete: %+v", infos)
			}
			if r := jg(t, nil, "", withSaver(s, "history", "a")...); r.code != 1 || !strings.Contains(r.stderr, `thread "a": no such thread`) {
				t.Fatalf("history of a deleted thread: %+v", r)
			}
			pr := decode[map[string][]string](t, ok(t, nil, "", withSaver(s, "prune", "--keep-latest", "--json")...))
			if !slices.Equal(pr["pruned"], []string{"b"}) {
				t.Fatalf("prune = %+v", pr)
			}
			hist := decode[[]jsonCheckpoint](t, ok(t, nil, "", withSaver(s, "history", "b", "--json")...))
			if len(hist) != 1 || hist[0].Messages != 4 {
				t.Fatalf("after prune: %+v", hist)
			}
			if r := jg(t, nil, "", withSaver(s, "prune")...); r.code != 2 {
				t.Fatalf("prune without a strategy: %+v", r)
			}
		})
	}
}

func TestRebuildRecreatesTheSnapshotBucket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok(t, nil, chatTurns, "chat", "--thread", "t1", "--data", dir)
	before := ok(t, nil, "", "state", "t1", "--json", "--data", dir)
	if out := ok(t, nil, "", "rebuild", "--data", dir); out != "" {
		t.Fatalf("rebuild off a terminal must be quiet, printed:\n%s", out)
	}
	pos := decode[map[string]uint64](t, ok(t, nil, "", "rebuild", "--json", "--data", dir))
	if pos["position"] == 0 {
		t.Fatalf("rebuild = %+v", pos)
	}
	if after := ok(t, nil, "", "state", "t1", "--json", "--data", dir); after != before {
		t.Fatalf("state changed by a rebuild:\n%s\nvs\n%s", before, after)
	}
	r := jg(t, nil, "", "rebuild", "--saver", "sqlite://"+t.TempDir()+"/x.db")
	if r.code != 1 || !strings.Contains(r.stderr, "rebuild needs the JetStream saver") {
		t.Fatalf("rebuild on SQLite: %+v", r)
	}
}

func TestGraphPrintsMermaid(t *testing.T) {
	t.Parallel()
	out := ok(t, nil, "", "graph", "--mermaid")
	for _, want := range []string{"graph", "chat", "__start__"} {
		if !strings.Contains(out, want) {
			t.Fatalf("graph --mermaid lacks %q:\n%s", want, out)
		}
	}
	if r := jg(t, nil, "", "graph"); r.code != 2 {
		t.Fatalf("graph without a format: %+v", r)
	}
}

// Every command answers --help, and cobra's completion command works.
func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	root := (&app{env: func(string) string { return "" }}).root()
	for _, c := range root.Commands() {
		out := ok(t, nil, "", c.Name(), "--help")
		if !strings.Contains(out, "Usage:") || !strings.Contains(out, cmp.Or(c.Long, c.Short)) {
			t.Errorf("%s --help:\n%s", c.Name(), out)
		}
	}
	if out := ok(t, nil, "", "completion", "bash"); !strings.Contains(out, "bash completion") {
		t.Fatalf("completion bash:\n%s", out)
	}
	if out := ok(t, nil, "", "--help"); !strings.Contains(out, "Exit codes: 0 success; 1 error") {
		t.Fatalf("--help does not document the exit codes:\n%s", out)
	}
}

// seqOf returns the sequence of the event (in events --json output) that
// wrote the checkpoint.
func seqOf(t *testing.T, events, checkpoint string) string {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(events), "\n") {
		ev := decode[eventLine](t, l)
		for _, r := range ev.Records {
			if strings.HasPrefix(r, "checkpoint "+checkpoint+" ") {
				return fmt.Sprint(ev.Seq)
			}
		}
	}
	t.Fatalf("no event wrote checkpoint %s:\n%s", checkpoint, events)
	return ""
}
