package natsjs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// A failed dial reports where it dialled without the password or token in
// the URL.
func TestConnectErrorHidesCredentials(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, url := range []string{
		"nats://alice:s3cr3t-pw@127.0.0.1:1",
		"nats://s3cr3t-token@127.0.0.1:1",
		"nats://127.0.0.1:2,nats://bob:s3cr3t-pw@127.0.0.1:1",
		"nats://alice:s3cr3t%2Fpw@127.0.0.1:1",
	} {
		s, err := natsjs.Connect(ctx, url, natsjs.Config{})
		if err == nil {
			_ = s.Close(ctx)
			t.Fatalf("Connect(%q) succeeded with nothing listening", url)
		}
		if msg := err.Error(); strings.Contains(msg, "s3cr3t") {
			t.Errorf("Connect error shows the credential: %s", msg)
		} else if !strings.Contains(msg, "127.0.0.1:1") {
			t.Errorf("Connect error does not say where it dialled: %s", msg)
		}
	}
}
