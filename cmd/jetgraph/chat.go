package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
)

const chatHelp = `type a message and press enter; commands:
  /history     the thread's checkpoints, newest first
  /fork NEW    continue on a new thread NEW, a copy of this one
  /rewind N    go back N turns: the next message starts a new branch there
  /quit        leave (so does end of input)`

func (a *app) chatCmd() *cobra.Command {
	var thread string
	cmd := &cobra.Command{
		Use:   "chat --thread ID",
		Short: "Talk with the model on a thread that survives restarts",
		Long: `chat reads your messages from standard input, one per line, and answers
each on the thread, which keeps the conversation across runs on a durable
saver. It uses the model OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL name
(any OpenAI-compatible server), or the offline model without a key.

` + chatHelp,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if thread == "" {
				return usagef("chat: --thread ID names the conversation")
			}
			ctx := cmd.Context()
			se, err := a.openAny(ctx)
			if err != nil {
				return err
			}
			defer se.close()
			c := &chat{app: a, se: se, thread: thread}
			return c.run(ctx)
		},
	}
	cmd.Flags().StringVar(&thread, "thread", "", "the conversation's thread id")
	return cmd
}

// chat is one interactive session.
type chat struct {
	*app
	se     *session
	thread string
	// at is the checkpoint the next message continues from after a
	// rewind; "" continues from the latest.
	at string
}

func (c *chat) run(ctx context.Context) error {
	f, ok := c.stdin.(*os.File)
	prompt := ok && isatty.IsTerminal(f.Fd())
	st, err := c.se.chain.GetState(ctx, graph.Config{ThreadID: c.thread})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "chat on thread %s (%d messages so far) with %s; /help for commands\n",
		c.thread, len(st.Values.Messages), modelName(c.model()))
	if c.saver == "jetstream" && c.data == "" {
		fmt.Fprintln(c.stdout, "(the thread is kept in a temporary directory until the chat ends: pass --data DIR or --saver URL to keep it)")
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(c.stdin)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		if prompt {
			fmt.Fprint(c.stdout, "you> ")
		}
		var text string
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			text = strings.TrimSpace(l)
		}
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "/") {
			quit, err := c.command(ctx, text)
			if err != nil {
				fmt.Fprintf(c.stdout, "error: %s\n", oneLine(err))
			}
			if quit {
				return nil
			}
			continue
		}
		out, err := c.se.chain.Invoke(ctx, demo.State{Messages: []message.Message{message.Human(text)}},
			graph.Config{ThreadID: c.thread, CheckpointID: c.at})
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted
			}
			return err
		}
		c.at = ""
		fmt.Fprintf(c.stdout, "model: %s\n", lastText(out))
	}
}

// command runs a /command and reports whether the chat ends.
func (c *chat) command(ctx context.Context, text string) (bool, error) {
	fields := strings.Fields(text)
	switch fields[0] {
	case "/quit", "/exit":
		return true, nil
	case "/help":
		fmt.Fprintln(c.stdout, chatHelp)
	case "/history":
		snaps, err := c.se.history(ctx, c.thread)
		if err != nil {
			return false, err
		}
		for _, s := range snaps {
			fmt.Fprintln(c.stdout, line(s))
		}
	case "/fork":
		if len(fields) != 2 {
			return false, fmt.Errorf("usage: /fork NEW")
		}
		cfg, err := c.se.chain.Fork(ctx, graph.Config{ThreadID: c.thread, CheckpointID: c.at}, fields[1])
		if err != nil {
			return false, err
		}
		fmt.Fprintf(c.stdout, "forked %s into %s (checkpoint %s); now on %s\n", c.thread, fields[1], cfg.CheckpointID, fields[1])
		c.thread, c.at = fields[1], ""
	case "/rewind":
		n, err := strconv.Atoi(strings.Join(fields[1:], ""))
		if err != nil || n < 1 {
			return false, fmt.Errorf("usage: /rewind N (N >= 1 turns)")
		}
		to, err := c.rewind(ctx, n)
		if err != nil {
			return false, err
		}
		c.at = to.Config.CheckpointID
		fmt.Fprintf(c.stdout, "rewound %d turn(s) to checkpoint %s; last message there: %s\n", n, c.at, lastText(to.Values))
	default:
		return false, fmt.Errorf("unknown command %s; /help lists them", fields[0])
	}
	return false, nil
}

// rewind returns the end of the turn n turns before the current point,
// following the current branch back through its parents.
func (c *chat) rewind(ctx context.Context, n int) (graph.Snapshot[demo.State], error) {
	snaps, err := c.se.history(ctx, c.thread)
	if err != nil {
		return graph.Snapshot[demo.State]{}, err
	}
	byID := map[string]graph.Snapshot[demo.State]{}
	for _, s := range snaps {
		byID[s.Config.CheckpointID] = s
	}
	id := c.at
	if id == "" {
		id = snaps[0].Config.CheckpointID
	}
	turns := 0
	for {
		s, ok := byID[id]
		if !ok {
			break
		}
		if len(s.Next) == 0 && len(s.Values.Messages) > 0 && id != c.current(snaps) {
			turns++
			if turns == n {
				return s, nil
			}
		}
		if s.ParentConfig == nil || s.ParentConfig.ThreadID != c.thread {
			break
		}
		id = s.ParentConfig.CheckpointID
	}
	return graph.Snapshot[demo.State]{}, fmt.Errorf("the thread has only %d earlier turn(s) to rewind to", turns)
}

// current is the checkpoint the chat stands on.
func (c *chat) current(snaps []graph.Snapshot[demo.State]) string {
	if c.at != "" {
		return c.at
	}
	return snaps[0].Config.CheckpointID
}
