package natsembed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultMaxPayload is the largest message the embedded servers accept
// unless Options.MaxPayload says otherwise: 8 MiB, so that a checkpoint
// holding a few megabytes fits in one event.
const DefaultMaxPayload = 8 << 20

// Options configures an embedded server. Only Dir is required, so that data
// never lands somewhere unexpected; every other field has a usable zero value.
type Options struct {
	// Dir holds the JetStream data. Required.
	Dir string
	// Name is the server name. Defaults to "jetgraph".
	Name string
	// Listen makes the server accept TCP clients on 127.0.0.1. Defaults to
	// false: in-process connections only.
	Listen bool
	// Port is the client port when Listen is set. Defaults to a random free
	// port.
	Port int
	// Host is the address clients connect to when Listen is set. Defaults
	// to 127.0.0.1: loopback unless told otherwise.
	Host string
	// MaxPayload is the largest message in bytes. Defaults to
	// DefaultMaxPayload.
	MaxPayload int32
	// ReadyTimeout bounds how long Start waits for the server to accept
	// clients. Defaults to 10s.
	ReadyTimeout time.Duration
	// Debug logs the server's own messages to stderr. Defaults to false.
	Debug bool

	cluster *clusterOptions
}

type clusterOptions struct {
	name   string
	routes []string
}

// Server is a running embedded JetStream server.
type Server struct {
	srv  *server.Server
	opts Options
}

// Start starts a JetStream server and waits until it accepts clients. The
// context bounds the wait. Call Shutdown when done.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("natsembed: Options.Dir: empty")
	}
	if o.Name == "" {
		o.Name = "jetgraph"
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	so := &server.Options{
		ServerName: o.Name,
		Host:       cmp.Or(o.Host, "127.0.0.1"),
		Port:       server.RANDOM_PORT,
		DontListen: !o.Listen,
		JetStream:  true,
		StoreDir:   o.Dir,
		MaxPayload: o.MaxPayload,
		// A message may be as large as MaxPayload; let clients buffer it.
		MaxPending: max(int64(o.MaxPayload)*2, 64<<20),
		NoSigs:     true,
		NoLog:      !o.Debug,
	}
	if o.Listen && o.Port != 0 {
		so.Port = o.Port
	}
	if c := o.cluster; c != nil {
		so.Cluster = server.ClusterOpts{Name: c.name, Host: "127.0.0.1", Port: server.RANDOM_PORT}
		so.Routes = server.RoutesFromStr(strings.Join(c.routes, ","))
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("natsembed: new server %s: %w", o.Name, err)
	}
	if o.Debug {
		srv.ConfigureLogger()
	}
	srv.Start()
	wait := o.ReadyTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl))
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("natsembed: server %s not ready within %s", o.Name, wait)
	}
	return &Server{srv: srv, opts: o}, nil
}

// NATS returns the underlying server.
func (s *Server) NATS() *server.Server { return s.srv }

// ClientURL returns the loopback URL clients dial; "" unless Listen is set.
func (s *Server) ClientURL() string {
	if !s.opts.Listen && s.opts.cluster == nil {
		return ""
	}
	return s.srv.ClientURL()
}

// Connect opens a client connection: in-process when the server does not
// listen, over loopback otherwise. Extra options are applied after the
// defaults.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	url := s.ClientURL()
	all := []nats.Option{nats.Name("jetgraph"), nats.MaxReconnects(-1)}
	if url == "" {
		all = append(all, nats.InProcessServer(s.srv))
	}
	all = append(all, opts...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		return nil, fmt.Errorf("natsembed: connect to %s: %w", s.opts.Name, err)
	}
	return nc, nil
}

// JetStream connects and returns a JetStream handle with its connection.
func (s *Server) JetStream(opts ...nats.Option) (jetstream.JetStream, *nats.Conn, error) {
	nc, err := s.Connect(opts...)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("natsembed: jetstream: %w", err)
	}
	return js, nc, nil
}

// Shutdown stops the server and waits until it has stopped, or until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("natsembed: shutdown %s: %w", s.opts.Name, ctx.Err())
	}
}
