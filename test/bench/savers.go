package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// backend is one saver under test, with what the figures need from it.
type backend struct {
	saver saver.Saver
	// bytes returns the bytes the store holds.
	bytes func(ctx context.Context) (uint64, error)
	// appends returns how many events the store has appended so far.
	appends func(ctx context.Context) (uint64, error)
	close   func(ctx context.Context) error
}

// openers holds one case per saver. Adding a saver (sqlite, postgres) is
// one entry here.
var openers = map[string]func(ctx context.Context, dir string) (*backend, error){
	"memory": openMemory,
	"natsjs": openNATS,
}

func saverNames() []string {
	var names []string
	for n := range openers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// open opens a fresh, empty saver of the named kind in its own directory
// under dir.
func open(ctx context.Context, name, dir string) (*backend, error) {
	opener, ok := openers[name]
	if !ok {
		return nil, fmt.Errorf("unknown saver %q (have %v)", name, saverNames())
	}
	sub, err := os.MkdirTemp(dir, name+"-")
	if err != nil {
		return nil, err
	}
	b, err := opener(ctx, sub)
	if err != nil {
		return nil, err
	}
	inner := b.close
	b.close = func(ctx context.Context) error {
		err := inner(ctx)
		_ = os.RemoveAll(sub)
		return err
	}
	return b, nil
}

func openMemory(context.Context, string) (*backend, error) {
	s := memory.New()
	count := func(ctx context.Context) (n, size uint64, err error) {
		for thread, err := range s.Log().Threads(ctx) {
			if err != nil {
				return 0, 0, err
			}
			for _, ev := range s.Events(thread) {
				n++
				size += uint64(len(ev.Payload))
			}
		}
		return n, size, nil
	}
	return &backend{
		saver: s,
		bytes: func(ctx context.Context) (uint64, error) {
			_, size, err := count(ctx)
			return size, err
		},
		appends: func(ctx context.Context) (uint64, error) {
			n, _, err := count(ctx)
			return n, err
		},
		close: func(context.Context) error { return nil },
	}, nil
}

func openNATS(ctx context.Context, dir string) (*backend, error) {
	s, closeFn, err := natsjs.OpenEmbedded(ctx, filepath.Join(dir, "nats"), natsjs.Config{})
	if err != nil {
		return nil, err
	}
	return &backend{
		saver: s,
		bytes: func(ctx context.Context) (uint64, error) {
			if err := s.Projector().CatchUp(ctx); err != nil {
				return 0, err
			}
			return s.StorageBytes(ctx)
		},
		appends: func(ctx context.Context) (uint64, error) {
			info, err := s.EventLog().Stream().Info(ctx)
			if err != nil {
				return 0, err
			}
			return info.State.LastSeq, nil
		},
		close: closeFn,
	}, nil
}
