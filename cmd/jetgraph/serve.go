package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/natsembed"
)

func (a *app) serveCmd() *cobra.Command {
	var listen, user, passFile, config string
	var nkeys []string
	var tlsFiles natsembed.TLS
	cmd := &cobra.Command{
		Use:   "serve --data DIR [--listen 127.0.0.1:4222]",
		Short: "Run the embedded JetStream server on a data directory until interrupted",
		Long: `serve runs an embedded NATS JetStream server storing in --data DIR and
prints its URL; other jetgraph commands (and programs) use it with
--saver nats://... or JETGRAPH_SAVER. It listens on loopback unless --listen
names another address; port 0 picks a free port. It runs until interrupted.

Clients authenticate with --user NAME, whose password comes from
$JETGRAPH_SERVE_PASSWORD or --password-file (never the command line), with
the public nkeys of --nkey, or as the users of a nats-server --config file
(such as deploy/nats-tenants.conf, the tenants' permission set). --tls-cert
and --tls-key serve TLS; --tls-client-ca also requires client certificates
it signed. Listening beyond loopback without authentication, it says so on
stderr.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.data == "" {
				return usagef("serve: --data DIR names the data directory")
			}
			host, port, err := listenAddr("serve", listen)
			if err != nil {
				return err
			}
			o := natsembed.Options{Dir: a.data, Listen: true, Host: host, Port: port, NKeys: nkeys, TLS: tlsFiles, ConfigFile: config}
			pass := a.env("JETGRAPH_SERVE_PASSWORD")
			if passFile != "" {
				b, err := os.ReadFile(passFile)
				if err != nil {
					return usagef("serve: --password-file: %v", err)
				}
				pass = strings.TrimRight(string(b), "\r\n")
			}
			switch {
			case user != "" && pass == "":
				return usagef("serve: --user %s needs a password in $JETGRAPH_SERVE_PASSWORD or --password-file", user)
			case user == "" && pass != "":
				return usagef("serve: a password needs its --user")
			case user != "":
				o.Users = []natsembed.User{{Name: user, Password: pass}}
			}
			auth := user != "" || len(nkeys) > 0 || config != "" || tlsFiles.ClientCA != ""
			if ip := net.ParseIP(host); !auth && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				fmt.Fprintf(a.stderr, "jetgraph: serve: listening on %s, beyond this machine, with no authentication\n", listen)
			}
			ctx := cmd.Context()
			srv, err := natsembed.Start(ctx, o)
			if err != nil {
				return err
			}
			// A nats:// URL is what --saver takes; clients switch to TLS
			// when the server requires it.
			url := strings.Replace(srv.ClientURL(), "tls://", "nats://", 1)
			fmt.Fprintf(a.stdout, "serving JetStream on %s (data in %s); use --saver %s or JETGRAPH_SAVER=%s\n",
				url, a.data, url, url)
			<-ctx.Done()
			fmt.Fprintln(a.stdout, "stopping")
			return srv.Shutdown(context.WithoutCancel(ctx))
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:4222", "address and port to listen on (loopback unless told otherwise)")
	f.StringVar(&user, "user", "", "user `name` clients authenticate as; the password is $JETGRAPH_SERVE_PASSWORD or --password-file")
	f.StringVar(&passFile, "password-file", "", "`file` holding the --user password")
	f.StringSliceVar(&nkeys, "nkey", nil, "public nkey (U...) of a user who authenticates with its seed; repeatable")
	f.StringVar(&config, "config", "", "nats-server configuration `file` of users and permissions (e.g. deploy/nats-tenants.conf)")
	f.StringVar(&tlsFiles.Cert, "tls-cert", "", "server certificate `file` (PEM), for TLS")
	f.StringVar(&tlsFiles.Key, "tls-key", "", "server key `file` (PEM), with --tls-cert")
	f.StringVar(&tlsFiles.ClientCA, "tls-client-ca", "", "CA `file` that signs client certificates; clients without one are refused")
	return cmd
}
