package natsembed_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// start starts a listening server with o and stops it when the test ends.
func start(t *testing.T, o natsembed.Options) *natsembed.Server {
	t.Helper()
	o.Dir, o.Listen = t.TempDir(), true
	srv, err := natsembed.Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	return srv
}

// dial connects to srv's URL with opts, with no retries, and closes the
// connection when the test ends.
func dial(t *testing.T, srv *natsembed.Server, opts ...nats.Option) (*nats.Conn, error) {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL(), append([]nats.Option{nats.Timeout(5 * time.Second), nats.NoReconnect()}, opts...)...)
	if err == nil {
		t.Cleanup(nc.Close)
	}
	return nc, err
}

func TestDefaultListenerIsLoopback(t *testing.T) {
	t.Parallel()
	srv := start(t, natsembed.Options{})
	addr, ok := srv.NATS().Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("listener address %v is not TCP", srv.NATS().Addr())
	}
	if !addr.IP.IsLoopback() {
		t.Fatalf("default listener bound to %v, want a loopback address", addr)
	}
	if _, err := dial(t, srv); err != nil {
		t.Fatalf("no auth configured, plain client refused: %v", err)
	}
}

func TestUserPassword(t *testing.T) {
	t.Parallel()
	srv := start(t, natsembed.Options{Users: []natsembed.User{{Name: "alice", Password: "s3cret"}}})
	if _, err := dial(t, srv); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("client without credentials: err %v, want %v", err, nats.ErrAuthorization)
	}
	if _, err := dial(t, srv, nats.UserInfo("alice", "wrong")); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("wrong password: err %v, want %v", err, nats.ErrAuthorization)
	}
	nc, err := dial(t, srv, nats.UserInfo("alice", "s3cret"))
	if err != nil {
		t.Fatalf("user with password refused: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestNKey(t *testing.T) {
	t.Parallel()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := start(t, natsembed.Options{NKeys: []string{pub}})
	if _, err := dial(t, srv); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("client without nkey: err %v, want %v", err, nats.ErrAuthorization)
	}
	other, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	otherSeed, _ := other.Seed()
	otherFile := filepath.Join(t.TempDir(), "other.nk")
	if err := os.WriteFile(otherFile, otherSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	otherOpt, err := nats.NkeyOptionFromSeed(otherFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, srv, otherOpt); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("unknown nkey: err %v, want %v", err, nats.ErrAuthorization)
	}
	opt, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, srv, opt); err != nil {
		t.Fatalf("client with its nkey seed refused: %v", err)
	}
}

func TestStartRejectsBadAuth(t *testing.T) {
	t.Parallel()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	for name, o := range map[string]natsembed.Options{
		"user without password": {Users: []natsembed.User{{Name: "a"}}},
		"seed as public key":    {NKeys: []string{string(seed)}},
		"cert without key":      {TLS: natsembed.TLS{Cert: "server.pem"}},
	} {
		o.Dir = t.TempDir()
		if srv, err := natsembed.Start(t.Context(), o); err == nil {
			_ = srv.Shutdown(t.Context())
			t.Errorf("%s: started", name)
		}
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	pki := natstest.PKI(t)
	srv := start(t, natsembed.Options{TLS: natsembed.TLS{Cert: pki.ServerCert, Key: pki.ServerKey}})
	if _, err := dial(t, srv); err == nil {
		t.Fatal("plain client without the CA connected to a TLS server")
	}
	nc, err := dial(t, srv, nats.RootCAs(pki.CA))
	if err != nil {
		t.Fatalf("TLS client with the CA refused: %v", err)
	}
	if !nc.TLSRequired() {
		t.Fatal("connection is not TLS")
	}
	if _, err := nc.TLSConnectionState(); err != nil {
		t.Fatal(err)
	}
}

func TestTLSClientCertificate(t *testing.T) {
	t.Parallel()
	pki := natstest.PKI(t)
	srv := start(t, natsembed.Options{TLS: natsembed.TLS{Cert: pki.ServerCert, Key: pki.ServerKey, ClientCA: pki.CA}})
	if _, err := dial(t, srv, nats.RootCAs(pki.CA)); err == nil {
		t.Fatal("client without a certificate connected to a server that requires one")
	}
	if _, err := dial(t, srv, nats.RootCAs(pki.CA), nats.ClientCert(pki.ClientCert, pki.ClientKey)); err != nil {
		t.Fatalf("client with a certificate the CA signed refused: %v", err)
	}
}
