package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
)

func (a *app) projectorCmd() *cobra.Command {
	var url string
	var rebuild, once bool
	var replicas int
	cmd := &cobra.Command{
		Use:   "projector",
		Short: "Fold the event stream into the snapshot bucket, as a service of its own",
		Long: `projector runs the snapshot projector as a service of its own: a durable
consumer that folds every thread of the event stream into the snapshot bucket,
for writers that leave snapshots to it, until interrupted. --once exits when it
has caught up; --rebuild recreates the bucket from the stream and exits.
It runs on --nats URL, on a nats:// --saver, or on the embedded server of --data.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" && strings.HasPrefix(a.saver, "nats://") {
				url = a.saver
			}
			if (url == "") == (a.data == "") {
				return usagef("projector: pass exactly one of --nats URL (or a nats:// --saver) and --data DIR")
			}
			if replicas < 1 || replicas > 5 {
				return usagef("projector: --replicas %d is not in 1..5", replicas)
			}
			if cmd.Flags().Changed("nats") && natsjs.URLHasSecret(url) {
				return urlSecretError("projector: --nats")
			}
			return runProjector(cmd.Context(), a.stdout, url, a.data, a.nats, replicas, rebuild, once)
		},
	}
	cmd.Flags().StringVar(&url, "nats", "", "NATS server URL(s), comma separated")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "delete the snapshot bucket, fold the whole stream again, and exit")
	cmd.Flags().BoolVar(&once, "once", false, "exit once every event the stream holds has been projected")
	cmd.Flags().IntVar(&replicas, "replicas", 1, "copies of the event stream and the snapshot bucket in a cluster (created or updated to this)")
	return cmd
}

// runProjector runs the snapshot projector as a service of its own: a
// durable consumer that folds every thread of the event stream into the
// snapshot bucket, for writers that leave snapshots to it
// (natsjs.ByOther), or rebuilds the bucket from the stream.
func runProjector(ctx context.Context, stdout io.Writer, url, data string, nf natsFlags, replicas int, rebuild, once bool) error {
	s, err := openStream(ctx, url, data, nf, replicas)
	if err != nil {
		return err
	}
	defer s.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the projector's own stop is what reports
	l := s.EventLog()
	pc := natsjs.TenantNames(s.Tenant()).Projector // the tenant's bucket, if any
	pc.Replicas = replicas
	p, err := projector.New(ctx, l, pc)
	if err != nil {
		return fmt.Errorf("projector: %w", err)
	}
	stopProjector := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return p.Stop(sctx)
	}
	if rebuild {
		if err := p.Rebuild(ctx); err != nil {
			return errors.Join(err, stopProjector())
		}
		fmt.Fprintf(stdout, "rebuilt the snapshot bucket from stream %s, up to sequence %d\n", l.Config().Stream, p.Position())
		return stopProjector()
	}
	if err := p.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "projecting stream %s into the snapshot bucket\n", l.Config().Stream)
	if once {
		if err := p.CatchUp(ctx); err != nil {
			return errors.Join(err, stopProjector())
		}
		fmt.Fprintf(stdout, "caught up at sequence %d\n", p.Position())
		return stopProjector()
	}
	<-ctx.Done() // until interrupted
	fmt.Fprintf(stdout, "stopping at sequence %d\n", p.Position())
	return stopProjector()
}

// openStream opens the JetStream store at url, or on an embedded server
// storing in data, as a reader that leaves snapshots to the projector.
func openStream(ctx context.Context, url, data string, nf natsFlags, replicas int) (*natsjs.Saver, error) {
	cfg := natsjs.Config{SnapshotBy: natsjs.ByOther, Log: eventlog.Config{Replicas: replicas}, Projector: projector.Config{Replicas: replicas}}
	if url != "" {
		s, err := connectNATS(ctx, url, nf, cfg, nats.Name("jetgraph projector"), nats.Timeout(connectTimeout))
		if err != nil {
			return nil, fmt.Errorf("projector: %w", err)
		}
		return s, nil
	}
	cfg.Tenant = nf.tenant
	s, err := open.Embedded(ctx, data, cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded JetStream in %s: %w", data, err)
	}
	return s, nil
}
