package open

import (
	"context"
	"io"
	"time"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// openNATS opens the JetStream saver on the server(s) at rawURL (a
// comma-separated list works too).
func openNATS(ctx context.Context, rawURL string) (saver.Saver, io.Closer, error) {
	s, err := natsjs.Connect(ctx, rawURL, natsjs.Config{})
	if err != nil {
		return nil, nil, err
	}
	return s, ctxCloser(s.Close), nil
}

// openEmbeddedNATS starts an in-process JetStream server storing in dir
// (created if needed, reused if it holds data) and opens the saver on it.
// Closing stops both.
func openEmbeddedNATS(ctx context.Context, dir string) (saver.Saver, io.Closer, error) {
	if dir == "" {
		return nil, nil, saver.Invalid("saver url", "nats+embedded:// needs a directory, as in nats+embedded://./data")
	}
	s, closeFn, err := natsjs.OpenEmbedded(ctx, dir, natsjs.Config{})
	if err != nil {
		return nil, nil, err
	}
	return s, ctxCloser(closeFn), nil
}

// closeTimeout bounds how long Close waits for the saver's goroutines and
// an embedded server to stop.
const closeTimeout = 30 * time.Second

// ctxCloser adapts a Close(ctx) to io.Closer.
type ctxCloser func(context.Context) error

func (f ctxCloser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return f(ctx)
}
