package open

import (
	"context"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// openNATS opens the JetStream saver on the server(s) at rawURL (a
// comma-separated list works too).
func openNATS(ctx context.Context, rawURL string, cfg natsjs.Config) (Saver, error) {
	s, err := natsjs.Connect(ctx, rawURL, cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// openEmbeddedNATS starts an in-process JetStream server storing in dir
// (created if needed, reused if it holds data) and opens the saver on it.
// Closing stops both.
func openEmbeddedNATS(ctx context.Context, dir string, cfg natsjs.Config) (Saver, error) {
	if dir == "" {
		return nil, saver.Invalid("saver url", "nats+embedded:// needs a directory, as in nats+embedded://./data")
	}
	s, err := Embedded(ctx, dir, cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Embedded starts an in-process JetStream server with its data in dir
// (created if needed; existing data is reused) and returns the JetStream
// saver on it. Closing the saver stops the server too.
func Embedded(ctx context.Context, dir string, cfg natsjs.Config) (*natsjs.Saver, error) {
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	nc, err := srv.Connect()
	if err != nil {
		_ = srv.Shutdown(ctx)
		return nil, err
	}
	s, err := natsjs.FromConn(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		_ = srv.Shutdown(ctx)
		return nil, err
	}
	s.AtClose(srv.Shutdown)
	return s, nil
}
