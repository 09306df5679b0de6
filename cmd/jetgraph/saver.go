package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/spf13/cobra"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
)

// connectTimeout bounds how long dialing a NATS server may take, so that
// an unreachable URL fails within seconds.
const connectTimeout = 3 * time.Second

// saverFlags choose where checkpoints go.
type saverFlags struct {
	saver string
	data  string
	nats  natsFlags
}

// describe names the saver for a person.
func (f saverFlags) describe() string {
	switch {
	case f.saver != "jetstream":
		return f.saver
	case f.data == "":
		return "embedded JetStream saver (temporary data directory)"
	default:
		return fmt.Sprintf("embedded JetStream saver (data in %s)", f.data)
	}
}

// session is an open saver with the chat graph compiled over it.
type session struct {
	s     saver.Saver
	close func() error
	chain *graph.Graph[demo.State]
}

// open opens the saver the flags name for a command that reads what is
// stored: the embedded default needs --data.
func (a *app) open(ctx context.Context) (*session, error) {
	if a.saver == "jetstream" && a.data == "" {
		return nil, usagef("name the threads' saver: --saver URL ($JETGRAPH_SAVER) or --data DIR of the embedded JetStream server ($JETGRAPH_DATA)")
	}
	return a.openAny(ctx)
}

// openAny opens the saver the flags name; the embedded default without
// --data stores in a temporary directory removed on close.
func (a *app) openAny(ctx context.Context) (*session, error) {
	s, closeSaver, err := openSaver(ctx, a.saverFlags)
	if err != nil {
		return nil, err
	}
	chain, err := chatGraph(s, a.model())
	if err != nil {
		_ = closeSaver()
		return nil, err
	}
	return &session{s: s, close: closeSaver, chain: chain}, nil
}

// openSaver returns the saver the flags name and a function that releases
// it (and removes a temporary data directory).
func openSaver(ctx context.Context, f saverFlags) (saver.Saver, func() error, error) {
	switch {
	case f.saver == "memory":
		return memory.New(), func() error { return nil }, nil
	case f.saver == "jetstream":
		dir, cleanup := f.data, func() error { return nil }
		if dir == "" {
			tmp, err := os.MkdirTemp("", "jetgraph-demo-")
			if err != nil {
				return nil, nil, err
			}
			dir, cleanup = tmp, func() error { return os.RemoveAll(tmp) }
		}
		if f.nats.tenant != "" {
			if err := eventlog.CheckTenant(f.nats.tenant); err != nil {
				_ = cleanup()
				return nil, nil, usageError{fmt.Errorf("--tenant: %w", err)}
			}
		}
		s, err := open.Embedded(ctx, dir, natsjs.Config{Tenant: f.nats.tenant})
		if err != nil {
			_ = cleanup()
			return nil, nil, fmt.Errorf("start embedded JetStream in %s: %w", dir, err)
		}
		return s, func() error {
			err := s.Close(context.WithoutCancel(ctx))
			if cerr := cleanup(); err == nil {
				err = cerr
			}
			return err
		}, nil
	case strings.HasPrefix(strings.ToLower(f.saver), "nats://"):
		// Dialed here rather than by open.Open, for a short connect
		// timeout and no retry of the first connect.
		s, err := connectNATS(ctx, f.saver, f.nats, natsjs.Config{}, nats.Timeout(connectTimeout))
		if err != nil {
			return nil, nil, err
		}
		return s, func() error { return s.Close(context.WithoutCancel(ctx)) }, nil
	}
	s, err := open.Open(ctx, f.saver)
	if err != nil {
		return nil, nil, err
	}
	return s, func() error { return s.Close(context.WithoutCancel(ctx)) }, nil
}

// connectNATS opens the JetStream saver at a nats:// URL (with the query
// open.NATS reads) with the credentials and tenant of f, the URL's tenant
// first. Errors never show a password the URL holds.
func connectNATS(ctx context.Context, rawURL string, f natsFlags, cfg natsjs.Config, extra ...nats.Option) (*natsjs.Saver, error) {
	servers, ucfg, opts, err := open.NATS(rawURL)
	if err != nil {
		return nil, usageError{fmt.Errorf("saver %q: %w", natsjs.RedactURLs(rawURL), err)}
	}
	fopts, err := f.options()
	if err != nil {
		return nil, err
	}
	cfg.Tenant = cmp.Or(ucfg.Tenant, f.tenant)
	cctx, cancel := context.WithTimeout(ctx, 4*connectTimeout)
	defer cancel()
	s, err := natsjs.Connect(cctx, servers, cfg, append(append(opts, fopts...), extra...)...)
	if err != nil {
		return nil, fmt.Errorf("open saver %q: %w", natsjs.RedactURLs(servers), err)
	}
	return s, nil
}

// logOf returns the saver's event log, or an error naming the command that
// needs one.
func logOf(s saver.Saver, what string) (eventstore.Log, error) {
	if l, ok := s.(interface{ Log() eventstore.Log }); ok {
		return l.Log(), nil
	}
	return nil, fmt.Errorf("%s needs a saver with an event log; %T keeps none", what, s)
}

// requireThread fails unless the thread holds a checkpoint.
func (se *session) requireThread(ctx context.Context, thread string) error {
	if err := saver.ValidateThread(thread); err != nil {
		return usageError{err}
	}
	_, err := se.s.GetTuple(ctx, saver.Config{ThreadID: thread})
	if errors.Is(err, saver.ErrNotFound) {
		return noThreadError{thread}
	}
	return err
}

// noThreadError is a thread that holds no checkpoint; it matches
// saver.ErrNotFound.
type noThreadError struct{ thread string }

func (e noThreadError) Error() string { return fmt.Sprintf("thread %q: no such thread", e.thread) }
func (e noThreadError) Unwrap() error { return saver.ErrNotFound }

// withSession runs fn on a session opened from the flags, in cmd's
// context, and closes the session after it.
func (a *app) withSession(cmd *cobra.Command, fn func(ctx context.Context, se *session) error) error {
	ctx := cmd.Context()
	se, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer se.close()
	return fn(ctx, se)
}
