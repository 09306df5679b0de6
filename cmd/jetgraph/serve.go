package main

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/natsembed"
)

func (a *app) serveCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve --data DIR [--listen 127.0.0.1:4222]",
		Short: "Run the embedded JetStream server on a data directory until interrupted",
		Long: `serve runs an embedded NATS JetStream server storing in --data DIR and
prints its URL; other jetgraph commands (and programs) use it with
--saver nats://... or JETGRAPH_SAVER. It listens on loopback unless --listen
names another address (then it says so on stderr: the server has no
authentication); port 0 picks a free port. It runs until interrupted.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.data == "" {
				return usagef("serve: --data DIR names the data directory")
			}
			host, port, err := listenAddr("serve", listen)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				fmt.Fprintf(a.stderr, "jetgraph: serve: listening on %s, beyond this machine, with no authentication\n", listen)
			}
			ctx := cmd.Context()
			srv, err := natsembed.Start(ctx, natsembed.Options{Dir: a.data, Listen: true, Host: host, Port: port})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "serving JetStream on %s (data in %s); use --saver %s or JETGRAPH_SAVER=%s\n",
				srv.ClientURL(), a.data, srv.ClientURL(), srv.ClientURL())
			<-ctx.Done()
			fmt.Fprintln(a.stdout, "stopping")
			return srv.Shutdown(context.WithoutCancel(ctx))
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4222", "address and port to listen on (loopback unless told otherwise)")
	return cmd
}
