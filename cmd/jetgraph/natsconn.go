package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/eventlog"
)

// natsFlags say how to authenticate to a NATS server and which tenant's
// names to use. Secrets come from files or the environment: a command line
// shows in ps.
type natsFlags struct {
	tenant   string
	creds    string
	nkey     string
	ca       string
	cert     string
	key      string
	passFile string
	// From the environment.
	user, pass, token string
}

// register adds the flags to cmd and its subcommands.
func (f *natsFlags) register(cmd *cobra.Command, env func(string) string) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&f.tenant, "tenant", env("JETGRAPH_TENANT"), "tenant whose streams, subjects and buckets to use ($JETGRAPH_TENANT)")
	fs.StringVar(&f.creds, "nats-creds", "", "NATS credentials `file` (JWT and nkey seed)")
	fs.StringVar(&f.nkey, "nats-nkey", "", "`file` holding the NATS user's nkey seed")
	fs.StringVar(&f.ca, "nats-ca", "", "CA certificate `file` that signs the NATS server's certificate")
	fs.StringVar(&f.cert, "nats-cert", "", "client certificate `file` for NATS TLS client authentication (with --nats-key)")
	fs.StringVar(&f.key, "nats-key", "", "client key `file` (with --nats-cert)")
	fs.StringVar(&f.passFile, "nats-password-file", "", "`file` holding the password of $JETGRAPH_NATS_USER (instead of $JETGRAPH_NATS_PASSWORD)")
	f.user, f.pass, f.token = env("JETGRAPH_NATS_USER"), env("JETGRAPH_NATS_PASSWORD"), env("JETGRAPH_NATS_TOKEN")
}

// urlSecretError is the usage error for a NATS URL on the command line that
// carries a password or token.
func urlSecretError(flag string) error {
	return usagef("%s: the NATS URL carries a password or token, which anyone on this machine can read in ps; "+
		"put the user in $JETGRAPH_NATS_USER and the password in $JETGRAPH_NATS_PASSWORD or --nats-password-file "+
		"(a token in $JETGRAPH_NATS_TOKEN), use --nats-creds or --nats-nkey, or pass the URL in $JETGRAPH_SAVER", flag)
}

// pgURLHasPassword reports whether u is a PostgreSQL URL with a password,
// in its user part or as a password parameter.
func pgURLHasPassword(u string) bool {
	lower := strings.ToLower(u)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return false
	}
	p, err := url.Parse(u)
	if err != nil {
		// Unparsable: it might still hold one; say nothing of it.
		return strings.Contains(lower, "password") || strings.Contains(u, "@")
	}
	_, hasPass := p.User.Password()
	return hasPass || p.Query().Has("password")
}

// options returns the connection options the flags ask for. The
// tenant's inbox prefix is natsjs.Connect's to set, from the tenant the
// saver ends up with.
func (f natsFlags) options() ([]nats.Option, error) {
	var opts []nats.Option
	if f.tenant != "" {
		if err := eventlog.CheckTenant(f.tenant); err != nil {
			return nil, usageError{fmt.Errorf("--tenant: %w", err)}
		}
	}
	pass := f.pass
	if f.passFile != "" {
		b, err := os.ReadFile(f.passFile)
		if err != nil {
			return nil, usagef("--nats-password-file: %v", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	switch {
	case f.user != "":
		opts = append(opts, nats.UserInfo(f.user, pass))
	case pass != "":
		return nil, usagef("a NATS password needs its user in $JETGRAPH_NATS_USER")
	}
	if f.token != "" {
		opts = append(opts, nats.Token(f.token))
	}
	if f.creds != "" {
		opts = append(opts, nats.UserCredentials(f.creds))
	}
	if f.nkey != "" {
		o, err := nats.NkeyOptionFromSeed(f.nkey)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey: %w", err)
		}
		opts = append(opts, o)
	}
	if f.ca != "" {
		opts = append(opts, nats.RootCAs(f.ca))
	}
	if (f.cert == "") != (f.key == "") {
		return nil, usagef("--nats-cert and --nats-key go together")
	}
	if f.cert != "" {
		opts = append(opts, nats.ClientCert(f.cert, f.key))
	}
	return opts, nil
}
