package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// Timing of the event streams.
const (
	// uiPollInterval is how often a saver without a live stream is asked
	// whether a thread changed.
	uiPollInterval = 250 * time.Millisecond
	// uiHeartbeat is how often an idle stream sends a comment, so that
	// proxies keep it open.
	uiHeartbeat = 15 * time.Second
)

// events streams one server-sent event "change" ({"seq": N}, N the
// thread's event sequence or 0) each time the thread changes: from the
// thread's tail on the JetStream saver, by polling elsewhere.
func (h *uiServer) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	thread := r.PathValue("id")
	if err := h.se.requireThread(ctx, thread); err != nil {
		fail(w, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeAPIError(w, http.StatusNotImplemented, fmt.Errorf("events: the connection cannot stream"))
		return
	}
	changes, err := h.watch(ctx, thread)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\nevent: ready\ndata: {}\n\n")
	flusher.Flush()
	beat := time.NewTicker(uiHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			fmt.Fprint(w, ": heartbeat\n\n")
		case c, ok := <-changes:
			if !ok {
				return
			}
			if c.err != "" {
				fmt.Fprintf(w, "event: failure\ndata: %s\n\n", mustJSON(apiError{Error: c.err}))
				flusher.Flush()
				return
			}
			fmt.Fprintf(w, "event: change\ndata: {\"seq\":%d}\n\n", c.seq)
		}
		flusher.Flush()
	}
}

// change is one change of a thread, or the error that ended the watch.
type change struct {
	seq uint64
	err string
}

// watch sends on the channel it returns each change of the thread until
// ctx ends, then closes it.
func (h *uiServer) watch(ctx context.Context, thread string) (<-chan change, error) {
	out := make(chan change, 16)
	send := func(c change) bool {
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if js, ok := h.se.s.(*natsjs.Saver); ok {
		last, err := js.EventLog().LastSeq(ctx, thread)
		if err != nil {
			return nil, err
		}
		h.streams.Go(func() {
			defer close(out)
			for ev, err := range js.Tail(ctx, thread, last) {
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					send(change{err: oneLine(err)})
					return
				}
				if !send(change{seq: ev.Seq}) {
					return
				}
			}
		})
		return out, nil
	}
	version := h.versionOf(thread)
	seen, err := version(ctx)
	if err != nil {
		return nil, err
	}
	h.streams.Go(func() {
		defer close(out)
		tick := time.NewTicker(uiPollInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v, err := version(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				send(change{err: oneLine(err)})
				return
			}
			if v != seen {
				seen = v
				if !send(change{seq: v.seq}) {
					return
				}
			}
		}
	})
	return out, nil
}

// threadVersion changes whenever the thread does.
type threadVersion struct {
	seq  uint64
	head string
}

// versionOf returns a function that reads the thread's version: its
// last event's sequence where the saver keeps an event log, else its
// head checkpoint.
func (h *uiServer) versionOf(thread string) func(context.Context) (threadVersion, error) {
	if log, err := logOf(h.se.s, "events"); err == nil {
		return func(ctx context.Context) (threadVersion, error) {
			seq, err := log.LastSeq(ctx, thread)
			return threadVersion{seq: seq}, err
		}
	}
	return func(ctx context.Context) (threadVersion, error) {
		tu, err := h.se.s.GetTuple(ctx, saver.Config{ThreadID: thread})
		if err != nil {
			return threadVersion{}, err
		}
		return threadVersion{head: tu.Config.CheckpointID}, nil
	}
}
