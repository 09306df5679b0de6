package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) uiCmd() *cobra.Command {
	var listen string
	var allowWrites bool
	cmd := &cobra.Command{
		Use:   "ui [--listen 127.0.0.1:8080] [--allow-writes]",
		Short: "Browse the saver's threads in a web page: history tree, state, diffs, live updates",
		Long: `ui serves a web page (and the JSON API under /api/ it uses) that shows the
saver's threads: their history as a tree of branches, the state and the
pending tasks at each checkpoint, the diff from its parent, the graph with
the nodes that run next. A thread being written updates live: the JetStream
saver streams its events, other savers are polled.

It is read-only unless --allow-writes, which enables fork, update, resume
and answering interrupts, the same operations as the commands of those
names. It listens on loopback only; port 0 picks a free port. It runs until
interrupted.

API (JSON; errors are {"error": "..."} with a 4xx code):
  GET  /api/threads                          the threads (as "threads --json")
  GET  /api/threads/{id}                     the head state (as "state --json")
  GET  /api/threads/{id}/history             the checkpoints, newest first
  GET  /api/threads/{id}/checkpoints/{cid}   one checkpoint with its channels
  GET  /api/threads/{id}/diff?from=A&to=B    as "diff --json"
  GET  /api/threads/{id}/events              server-sent events, one per change
  POST /api/threads/{id}/fork                {"checkpoint_id": "", "to": "NEW"}
  POST /api/threads/{id}/update              {"checkpoint_id": "", "as_node": "", "values": {...}}
  POST /api/threads/{id}/resume              {"value": ...} (omit to run what is left)`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := checkLoopback("ui", listen); err != nil {
				return err
			}
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return fmt.Errorf("ui: %w", err)
				}
				mode := "read-only (--allow-writes enables fork, update and resume)"
				if allowWrites {
					mode = "writes allowed"
				}
				fmt.Fprintf(a.stdout, "serving the UI on http://%s/ for %s, %s\n", ln.Addr(), a.describe(), mode)
				return serveUI(ctx, ln, newUIServer(se, a.describe(), allowWrites))
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "loopback address and port to listen on")
	cmd.Flags().BoolVar(&allowWrites, "allow-writes", false, "allow fork, update and resume from the page and the API")
	return cmd
}

// checkLoopback returns the port of listen, a loopback host and a port.
// listenAddr splits a --listen address into host and port, as a usage
// error when it is malformed.
func listenAddr(what, listen string) (string, int, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, usagef("%s: --listen %q: %v", what, listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, usagef("%s: --listen %q: bad port", what, listen)
	}
	return host, port, nil
}

func checkLoopback(what, listen string) (int, error) {
	host, port, err := listenAddr(what, listen)
	if err != nil {
		return 0, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0, usagef("%s: --listen %q: %s listens on loopback only (127.0.0.1)", what, listen, what)
	}
	return port, nil
}

// serveUI serves h on ln until ctx ends, then stops every request,
// event streams included, and returns after they have returned.
func serveUI(ctx context.Context, ln net.Listener, h *uiServer) error {
	reqCtx, stopRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRequests()
	srv := &http.Server{
		Handler:           h.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("ui: %w", err)
	case <-ctx.Done():
	}
	stopRequests() // ends the event streams
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	h.wait()
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
