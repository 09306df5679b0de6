package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
)

// saverFlags choose where checkpoints go.
type saverFlags struct {
	saver string
	data  string
}

func (f *saverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.saver, "saver", "jetstream",
		`where checkpoints go: "jetstream" (an embedded NATS JetStream server), "memory", or a saver URL (sqlite://demo.db, postgres://..., nats://HOST:PORT)`)
	fs.StringVar(&f.data, "data", "",
		`data directory of the embedded JetStream server; kept and reused across runs (default: a temporary directory, removed at exit)`)
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

// openSaver returns the saver the flags name and a function that releases
// it (and removes a temporary data directory).
func openSaver(ctx context.Context, f saverFlags) (saver.Saver, func() error, error) {
	switch f.saver {
	case "memory":
		return memory.New(), func() error { return nil }, nil
	case "jetstream":
		dir, cleanup := f.data, func() error { return nil }
		if dir == "" {
			tmp, err := os.MkdirTemp("", "jetgraph-demo-")
			if err != nil {
				return nil, nil, err
			}
			dir, cleanup = tmp, func() error { return os.RemoveAll(tmp) }
		}
		s, err := open.Embedded(ctx, dir, natsjs.Config{})
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
	}
	s, c, err := open.Saver(ctx, f.saver)
	if err != nil {
		return nil, nil, err
	}
	return s, c.Close, nil
}
