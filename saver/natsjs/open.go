package natsjs

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/natsembed"
)

// Connect dials the NATS server(s) at url (comma separated) and returns a
// saver on them. Close closes the connection.
func Connect(ctx context.Context, url string, cfg Config, opts ...nats.Option) (*Saver, error) {
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name("jetgraph"), nats.MaxReconnects(-1)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redactURLs(url), err)
	}
	s, err := onConn(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// OpenEmbedded starts an in-process JetStream server with its data in dir
// (created if needed; existing data is reused) and returns a saver on it.
// The returned function, like Close, stops the saver and the server.
func OpenEmbedded(ctx context.Context, dir string, cfg Config) (*Saver, func(context.Context) error, error) {
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	nc, err := srv.Connect()
	if err != nil {
		_ = srv.Shutdown(ctx)
		return nil, nil, err
	}
	s, err := onConn(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		_ = srv.Shutdown(ctx)
		return nil, nil, err
	}
	// Close runs these last first: the connection, then the server.
	s.onClose = append([]func(context.Context) error{srv.Shutdown}, s.onClose...)
	return s, s.Close, nil
}

func onConn(ctx context.Context, nc *nats.Conn, cfg Config) (*Saver, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s, err := New(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	s.onClose = append(s.onClose, func(context.Context) error {
		nc.Close()
		return nil
	})
	return s, nil
}
