package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Refused returns err, joined with the connection's last permission
// violation when err is a timeout and the violation names one of names (a
// stream, a bucket's stream, a subject). The server answers a publish it
// denies with an asynchronous error on the connection, not with a reply, so
// a call that waited for the reply would otherwise only say that it timed
// out; joined, errors.Is(err, nats.ErrPermissionViolation) holds. The
// connection keeps its last error until the next one, so the violation may
// be older than the call: the message says so.
func Refused(nc *nats.Conn, err error, names ...string) error {
	if err == nil || nc == nil || !timedOut(err) {
		return err
	}
	last := nc.LastError()
	if !errors.Is(last, nats.ErrPermissionViolation) {
		return err
	}
	for _, name := range names {
		if name != "" && strings.Contains(last.Error(), name) {
			return fmt.Errorf("%w (the connection's last error: %w)", err, last)
		}
	}
	return err
}

func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
}
