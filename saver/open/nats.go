package open

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// NATS splits a nats:// saver URL into the server URLs to dial, the saver
// configuration and the connection options its query asks for:
//
//	tenant=NAME   natsjs.Config.Tenant: the tenant's streams, subjects and buckets
//	creds=FILE    a NATS credentials file (JWT and nkey seed)
//	nkey=FILE     a file holding the user's nkey seed
//	ca=FILE       the CA that signs the server's certificate (TLS)
//
// Files hold the secrets, so the URL itself carries none; a user and
// password inside the URL still work (for a URL from the environment) and
// are redacted from errors. Several servers are comma separated, the
// query after the last.
func NATS(rawURL string) (servers string, cfg natsjs.Config, opts []nats.Option, err error) {
	servers, query, _ := strings.Cut(rawURL, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", cfg, nil, saver.Invalid("saver url", "query: "+err.Error())
	}
	for k := range q {
		switch k {
		case "tenant", "creds", "nkey", "ca":
		default:
			return "", cfg, nil, saver.Invalid("saver url", fmt.Sprintf("unknown parameter %q; nats:// takes tenant, creds, nkey and ca", k))
		}
	}
	if t := q.Get("tenant"); t != "" {
		if err := eventlog.CheckTenant(t); err != nil {
			return "", cfg, nil, err
		}
		cfg.Tenant = t
	}
	if f := q.Get("creds"); f != "" {
		opts = append(opts, nats.UserCredentials(f))
	}
	if f := q.Get("nkey"); f != "" {
		o, err := nats.NkeyOptionFromSeed(f)
		if err != nil {
			return "", cfg, nil, fmt.Errorf("saver url: nkey: %w", err)
		}
		opts = append(opts, o)
	}
	if f := q.Get("ca"); f != "" {
		opts = append(opts, nats.RootCAs(f))
	}
	return servers, cfg, opts, nil
}

// openNATS opens the JetStream saver on the server(s) at rawURL (a
// comma-separated list works too).
func openNATS(ctx context.Context, rawURL string, base natsjs.Config) (Saver, error) {
	servers, cfg, opts, err := NATS(rawURL)
	if err != nil {
		return nil, err
	}
	cfg.Retention = base.Retention
	s, err := natsjs.Connect(ctx, servers, cfg, opts...)
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
// saver on it. Closing the saver stops the server too. The server takes
// no network clients: only this process reaches it.
func Embedded(ctx context.Context, dir string, cfg natsjs.Config) (*natsjs.Saver, error) {
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	var opts []nats.Option
	if cfg.Tenant != "" {
		opts = append(opts, nats.CustomInboxPrefix(natsjs.InboxPrefix(cfg.Tenant)))
	}
	nc, err := srv.Connect(opts...)
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
