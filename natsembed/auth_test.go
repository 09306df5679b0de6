package natsembed_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/jetgraph/jetgraph/natsembed"
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
	pki := newPKI(t)
	srv := start(t, natsembed.Options{TLS: natsembed.TLS{Cert: pki.serverCert, Key: pki.serverKey}})
	if _, err := dial(t, srv); err == nil {
		t.Fatal("plain client without the CA connected to a TLS server")
	}
	nc, err := dial(t, srv, nats.RootCAs(pki.ca))
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
	pki := newPKI(t)
	srv := start(t, natsembed.Options{TLS: natsembed.TLS{Cert: pki.serverCert, Key: pki.serverKey, ClientCA: pki.ca}})
	if _, err := dial(t, srv, nats.RootCAs(pki.ca)); err == nil {
		t.Fatal("client without a certificate connected to a server that requires one")
	}
	if _, err := dial(t, srv, nats.RootCAs(pki.ca), nats.ClientCert(pki.clientCert, pki.clientKey)); err != nil {
		t.Fatalf("client with a certificate the CA signed refused: %v", err)
	}
}

// pki is a throwaway CA with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files in a test directory.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "jetgraph test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{ca: filepath.Join(dir, "ca.pem")}
	writePEM(t, p.ca, "CERTIFICATE", caDER)
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "PRIVATE KEY", keyDER)
		return certFile, keyFile
	}
	p.serverCert, p.serverKey = leaf(2, "server", x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf(3, "client", x509.ExtKeyUsageClientAuth)
	return p
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
