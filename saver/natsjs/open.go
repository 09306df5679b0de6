package natsjs

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
)

// Connect dials the NATS server(s) at url (comma separated) and returns a
// saver on them. Close closes the connection. With cfg.Tenant the
// connection's replies come on the tenant's inbox prefix (InboxPrefix).
// Credentials go in opts (nats.UserInfo, nats.UserCredentials,
// nats.NkeyOptionFromSeed, ...) rather than in url.
func Connect(ctx context.Context, url string, cfg Config, opts ...nats.Option) (*Saver, error) {
	base := []nats.Option{nats.Name("jetgraph"), nats.MaxReconnects(-1)}
	if cfg.Tenant != "" {
		if err := eventlog.CheckTenant(cfg.Tenant); err != nil {
			return nil, err
		}
		base = append(base, nats.CustomInboxPrefix(InboxPrefix(cfg.Tenant)))
	}
	nc, err := nats.Connect(url, append(base, opts...)...)
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

// URLHasSecret reports whether one of the comma-separated NATS URLs
// carries a password or a token (anything before an '@' in the authority,
// with or without a scheme). Commands refuse such a URL on their command
// line, which any user of the machine can read in ps, and take the secret
// from a file or the environment instead.
func URLHasSecret(urls string) bool {
	for _, p := range strings.Split(urls, ",") {
		if _, rest, ok := strings.Cut(p, "://"); ok {
			p = rest
		}
		if i := strings.IndexAny(p, "/?#"); i >= 0 {
			p = p[:i]
		}
		if strings.Contains(p, "@") {
			return true
		}
	}
	return false
}

// RedactURLs returns the comma-separated URLs with any password or token
// hidden, for messages and logs.
func RedactURLs(urls string) string { return redactURLs(urls) }

// FromConn returns a saver on the connection nc, which the saver owns:
// Close closes it. Connect and the embedded server of saver/open build on
// it.
func FromConn(ctx context.Context, nc *nats.Conn, cfg Config) (*Saver, error) {
	return onConn(ctx, nc, cfg)
}

// AtClose makes Close run fn after it closed the saver's connection: the
// opener of an embedded server stops the server this way. Functions run
// in the reverse order they were added.
func (s *Saver) AtClose(fn func(context.Context) error) {
	s.onClose = append([]func(context.Context) error{fn}, s.onClose...)
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
