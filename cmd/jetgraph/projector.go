package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/projector"
)

// runProjector runs the snapshot projector as a service of its own: a
// durable consumer that folds every thread of the event stream into the
// snapshot bucket, for writers that leave snapshots to it
// (natsjs.ByOther), or rebuilds the bucket from the stream.
func runProjector(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("projector", flag.ContinueOnError)
	fs.SetOutput(stdout)
	url := fs.String("nats", "", "NATS server URL(s), comma separated")
	data := fs.String("data", "", "data directory of an embedded JetStream server to start instead")
	rebuild := fs.Bool("rebuild", false, "delete the snapshot bucket, fold the whole stream again, and exit")
	once := fs.Bool("once", false, "exit once every event the stream holds has been projected")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*url == "") == (*data == "") {
		return errors.New("projector: pass exactly one of --nats URL and --data DIR")
	}
	nc, stop, err := connectNATS(ctx, *url, *data)
	if err != nil {
		return err
	}
	defer stop()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("projector: %w", err)
	}
	l, err := eventlog.New(ctx, js, eventlog.Config{})
	if err != nil {
		return fmt.Errorf("projector: %w", err)
	}
	p, err := projector.New(ctx, l, projector.Config{})
	if err != nil {
		return fmt.Errorf("projector: %w", err)
	}
	stopProjector := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return p.Stop(sctx)
	}
	if *rebuild {
		if err := p.Rebuild(ctx); err != nil {
			return errors.Join(err, stopProjector())
		}
		fmt.Fprintf(stdout, "rebuilt the snapshot bucket from stream %s, up to sequence %d\n", l.Config().Stream, p.Position())
		return stopProjector()
	}
	if err := p.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "projecting stream %s into the snapshot bucket\n", l.Config().Stream)
	if *once {
		if err := p.CatchUp(ctx); err != nil {
			return errors.Join(err, stopProjector())
		}
		fmt.Fprintf(stdout, "caught up at sequence %d\n", p.Position())
		return stopProjector()
	}
	<-ctx.Done() // until interrupted
	fmt.Fprintf(stdout, "stopping at sequence %d\n", p.Position())
	return stopProjector()
}

// connectNATS dials url, or starts an embedded server on data and connects
// in process. stop closes what it opened.
func connectNATS(ctx context.Context, url, data string) (*nats.Conn, func(), error) {
	if url != "" {
		nc, err := nats.Connect(url, nats.Name("jetgraph projector"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
		}
		return nc, nc.Close, nil
	}
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: data})
	if err != nil {
		return nil, nil, fmt.Errorf("start embedded JetStream in %s: %w", data, err)
	}
	nc, err := srv.Connect()
	if err != nil {
		_ = srv.Shutdown(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return nc, func() {
		nc.Close()
		_ = srv.Shutdown(context.WithoutCancel(ctx))
	}, nil
}
