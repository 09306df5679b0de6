package open

import (
	"context"
	"io"

	"github.com/jetgraph/jetgraph/saver"
)

// openNATS will open the JetStream saver on the server at rawURL once
// saver/natsjs exists.
func openNATS(_ context.Context, _ string) (saver.Saver, io.Closer, error) {
	return nil, nil, ErrNATSUnavailable
}

// openEmbeddedNATS will start an embedded server storing in dir and open the
// JetStream saver on it once saver/natsjs exists.
func openEmbeddedNATS(_ context.Context, _ string) (saver.Saver, io.Closer, error) {
	return nil, nil, ErrNATSUnavailable
}
