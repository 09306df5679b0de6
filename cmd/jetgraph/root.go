package main

import (
	"cmp"
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// app is one invocation of the command: its environment and the global
// flags.
type app struct {
	env            func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	saverFlags
}

// run parses args and runs the command they name.
func run(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if env == nil {
		env = func(string) string { return "" }
	}
	a := &app{env: env, stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "jetgraph",
		Short: "Run, inspect and time-travel jetgraph threads on any saver",
		Long: `jetgraph runs the persistence guide's demo and an interactive chat on a
saver, and inspects and edits the threads a saver holds.

The saver is --saver URL, else $JETGRAPH_SAVER, else an embedded JetStream
server storing in --data DIR (else $JETGRAPH_DATA). Saver URLs:
  jetstream                 embedded JetStream server on --data DIR (the default)
  memory, memory://         in memory (nothing survives the process)
  sqlite://PATH, PATH       a SQLite file
  postgres://...            PostgreSQL (schema=NAME picks the schema)
  nats://HOST:PORT          a JetStream server (see "jetgraph serve"); ?tenant=NAME,
                            creds=FILE, nkey=FILE, ca=FILE in the query
  nats+embedded://DIR       an in-process JetStream server storing in DIR

NATS credentials come from files or the environment, never the command line
(it shows in ps): $JETGRAPH_NATS_USER with $JETGRAPH_NATS_PASSWORD or
--nats-password-file, $JETGRAPH_NATS_TOKEN, --nats-creds, --nats-nkey;
--nats-ca (and --nats-cert, --nats-key) for TLS. A --saver URL holding a
password is refused. --tenant ($JETGRAPH_TENANT) uses a tenant's names.

Exit codes: 0 success; 1 error (unknown thread or checkpoint, unreachable
server, failed run); 2 usage error (unknown command or flag, missing or
malformed argument or JSON, unsupported saver URL). Errors go to stderr in
one line.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentFlags().StringVar(&a.saver, "saver", cmp.Or(a.env("JETGRAPH_SAVER"), "jetstream"),
		"where checkpoints are: jetstream, memory, or a saver URL ($JETGRAPH_SAVER)")
	root.PersistentFlags().StringVar(&a.data, "data", a.env("JETGRAPH_DATA"),
		"data directory of the embedded JetStream server ($JETGRAPH_DATA)")
	a.nats.register(root, a.env)
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("saver") {
			return nil
		}
		if strings.HasPrefix(strings.ToLower(a.saver), "nats://") && natsjs.URLHasSecret(a.saver) {
			return urlSecretError("--saver")
		}
		if pgURLHasPassword(a.saver) {
			return usagef("--saver: the PostgreSQL URL carries a password, which anyone on this machine can read in ps; " +
				"put it in $PGPASSWORD or a password file ($PGPASSFILE, ~/.pgpass), or pass the URL in $JETGRAPH_SAVER")
		}
		return nil
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		a.serveCmd(), a.demoCmd(), a.chatCmd(),
		a.threadsCmd(), a.historyCmd(), a.stateCmd(), a.diffCmd(),
		a.replayCmd(), a.forkCmd(), a.updateCmd(), a.resumeCmd(),
		a.tailCmd(), a.eventsCmd(), a.auditCmd(),
		a.deleteCmd(), a.pruneCmd(), a.rebuildCmd(), a.projectorCmd(),
		a.graphCmd(), a.uiCmd(),
	)
	return root
}

// args wraps a cobra argument check so that its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
