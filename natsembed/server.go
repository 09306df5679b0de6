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
	"github.com/nats-io/nkeys"
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

	// Users are the user/password pairs clients must present. With Users,
	// NKeys or a ConfigFile that sets authorization, a client without
	// valid credentials is refused. Defaults to none: no authentication.
	Users []User
	// NKeys are the public keys (starting with "U") of the users who
	// authenticate by signing the server's nonce with their seed.
	NKeys []string
	// TLS makes clients connect over TLS. Defaults to none: plain TCP.
	TLS TLS
	// ConfigFile is a nats-server configuration file whose authorization
	// (users, nkeys, accounts, permissions) and TLS settings apply, as in
	// the tenant permission set of deploy/nats-tenants.conf. The fields
	// above (directory, name, listen address, payload) override what it
	// says about those; Users and NKeys are added to its users. Secrets in
	// it can come from the environment ($VAR). Defaults to none.
	ConfigFile string

	cluster *clusterOptions
}

// User is a user name and password a client authenticates with.
type User struct {
	// Name is the user name.
	Name string
	// Password is the user's password, or a bcrypt hash of it (as
	// nats-server's configuration accepts).
	Password string
}

// TLS names the server's certificate files. Cert and Key go together;
// with ClientCA the server also requires client certificates signed by it.
type TLS struct {
	// Cert is the server's PEM certificate (chain) file.
	Cert string
	// Key is the server's PEM private key file.
	Key string
	// ClientCA, when set, is a PEM file of the CAs that sign client
	// certificates: clients without such a certificate are refused.
	ClientCA string
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
	so := &server.Options{}
	if o.ConfigFile != "" {
		fo, err := server.ProcessConfigFile(o.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("natsembed: config file: %w", err)
		}
		so = fo
	}
	so.ServerName = o.Name
	// Loopback unless told otherwise, whatever the config file says.
	so.Host = cmp.Or(o.Host, "127.0.0.1")
	so.Port = server.RANDOM_PORT
	so.DontListen = !o.Listen
	so.JetStream = true
	so.StoreDir = o.Dir
	so.MaxPayload = o.MaxPayload
	// A message may be as large as MaxPayload; let clients buffer it.
	so.MaxPending = max(int64(o.MaxPayload)*2, 64<<20)
	so.NoSigs = true
	so.NoLog = !o.Debug
	if err := o.auth(so); err != nil {
		return nil, err
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

// auth adds the users, nkeys and TLS of o to so.
func (o Options) auth(so *server.Options) error {
	for _, u := range o.Users {
		if u.Name == "" || u.Password == "" {
			return errors.New("natsembed: Options.Users: a user needs a name and a password")
		}
		so.Users = append(so.Users, &server.User{Username: u.Name, Password: u.Password})
	}
	for _, k := range o.NKeys {
		if !nkeys.IsValidPublicUserKey(k) {
			return fmt.Errorf("natsembed: Options.NKeys: %q is not a user's public nkey", k)
		}
		so.Nkeys = append(so.Nkeys, &server.NkeyUser{Nkey: k})
	}
	t := o.TLS
	if t == (TLS{}) {
		return nil
	}
	if t.Cert == "" || t.Key == "" {
		return errors.New("natsembed: Options.TLS: Cert and Key go together")
	}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: t.Cert, KeyFile: t.Key, CaFile: t.ClientCA, Verify: t.ClientCA != ""})
	if err != nil {
		return fmt.Errorf("natsembed: Options.TLS: %w", err)
	}
	so.TLSConfig = tc
	so.TLSVerify = t.ClientCA != ""
	so.TLSTimeout = 2
	return nil
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
