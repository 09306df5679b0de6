package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// connFlags are the flags that say how to reach NATS.
type connFlags struct {
	url          string
	creds        string
	nkey         string
	tlsCA        string
	tlsCert      string
	tlsKey       string
	embedded     string
	embeddedPort int
	passFile     string
	tenant       string
	user, pass   string // from the environment (pass also from passFile)
	token        string // from the environment
	urlFromFlag  bool   // --nats was on the command line, not from $NATS_URL
}

func (c *connFlags) register(fs *flag.FlagSet, env func(string) string) {
	fs.StringVar(&c.url, "nats", env("NATS_URL"), "NATS server URL(s), comma separated ($NATS_URL)")
	fs.StringVar(&c.creds, "creds", "", "NATS credentials file (JWT and nkey seed)")
	fs.StringVar(&c.nkey, "nkey", "", "NATS nkey seed file")
	fs.StringVar(&c.tlsCA, "tls-ca", "", "CA certificate file that signs the server's certificate")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "client certificate file, for TLS client authentication (with --tls-key)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "client key file (with --tls-cert)")
	fs.StringVar(&c.embedded, "embedded", "", "start an embedded JetStream server storing in `DIR` instead of dialing --nats")
	fs.IntVar(&c.embeddedPort, "embedded-port", 4222, "client port of the --embedded server, on 127.0.0.1 (0 picks one)")
	fs.StringVar(&c.passFile, "password-file", "", "file holding the NATS password of $NATS_USER (instead of $NATS_PASSWORD)")
	fs.StringVar(&c.tenant, "tenant", env("JETGRAPH_TENANT"), "tenant whose streams, subjects and buckets to use ($JETGRAPH_TENANT; see the README's Security section)")
	c.user, c.pass, c.token = env("NATS_USER"), env("NATS_PASSWORD"), env("NATS_TOKEN")
}

// urlSecret is the usage error for a --nats URL that carries a password or
// token: the command line shows in ps.
const urlSecret = "--nats: the URL carries a password or token, which anyone on this machine can read in ps; " +
	"put the user in $NATS_USER and the password in $NATS_PASSWORD or --password-file (a token in $NATS_TOKEN), " +
	"or use --creds or --nkey"

func (c *connFlags) check(fs *flag.FlagSet) error {
	if (c.url == "") == (c.embedded == "") {
		return usagef("pass exactly one of --nats URL (or $NATS_URL) and --embedded DIR")
	}
	fs.Visit(func(f *flag.Flag) { c.urlFromFlag = c.urlFromFlag || f.Name == "nats" })
	if c.urlFromFlag && natsjs.URLHasSecret(c.url) {
		return usagef("%s", urlSecret)
	}
	return c.checkCreds()
}

// checkCreds checks the tenant and reads the password file.
func (c *connFlags) checkCreds() error {
	if c.tenant != "" {
		if err := eventlog.CheckTenant(c.tenant); err != nil {
			return usagef("--tenant: %v", err)
		}
	}
	if c.passFile != "" {
		b, err := os.ReadFile(c.passFile)
		if err != nil {
			return usagef("--password-file: %v", err)
		}
		c.pass = strings.TrimRight(string(b), "\r\n")
	}
	if c.pass != "" && c.user == "" {
		return usagef("a NATS password needs its user in $NATS_USER")
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if c.creds != "" && c.nkey != "" {
		return usagef("pass at most one of --creds and --nkey")
	}
	return nil
}

// connect dials NATS (or starts the embedded server and dials it) and
// returns the connection and a function that closes what it opened.
func (c *connFlags) connect(ctx context.Context, name string, log *slog.Logger) (*nats.Conn, func(), error) {
	opts := []nats.Option{
		nats.Name(name), nats.MaxReconnects(-1), nats.Timeout(10 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted()) }),
	}
	if c.creds != "" {
		opts = append(opts, nats.UserCredentials(c.creds))
	}
	if c.nkey != "" {
		o, err := nats.NkeyOptionFromSeed(c.nkey)
		if err != nil {
			return nil, nil, fmt.Errorf("--nkey %s: %w", c.nkey, err)
		}
		opts = append(opts, o)
	}
	if c.user != "" {
		opts = append(opts, nats.UserInfo(c.user, c.pass))
	}
	if c.token != "" {
		opts = append(opts, nats.Token(c.token))
	}
	if c.tenant != "" {
		opts = append(opts, nats.CustomInboxPrefix(natsjs.InboxPrefix(c.tenant)))
	}
	if c.tlsCA != "" {
		opts = append(opts, nats.RootCAs(c.tlsCA))
	}
	if c.tlsCert != "" {
		opts = append(opts, nats.ClientCert(c.tlsCert, c.tlsKey))
	}
	if c.embedded == "" {
		nc, err := nats.Connect(c.url, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("connect to %s: %w", redact(c.url), err)
		}
		log.Info("connected to NATS", "url", nc.ConnectedUrlRedacted())
		return nc, nc.Close, nil
	}
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: c.embedded, Listen: true, Port: c.embeddedPort, Name: "node-runner"})
	if err != nil {
		return nil, nil, err
	}
	nc, err := srv.Connect(opts...)
	if err != nil {
		_ = srv.Shutdown(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	log.Info("embedded NATS server started", "dir", c.embedded, "url", srv.ClientURL())
	return nc, func() {
		nc.Close()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// redact hides passwords in a list of URLs.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "REDACTED" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// newLogger builds the structured logger the flags ask for.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch cmp.Or(format, "json") {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, usagef("--log-format %q: want json or text", format)
}

// parse parses args with fs; errors are usage errors, --help is
// flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	return nil
}
