package open_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
)

// A nats:// URL names the tenant and the nkey seed file in its query; the
// saver authenticates with the seed and uses the tenant's names.
func TestNATSURLWithTenantAndNKeyFile(t *testing.T) {
	t.Parallel()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true, NKeys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })

	if s, err := open.Open(t.Context(), srv.ClientURL()); err == nil {
		_ = s.Close(t.Context())
		t.Fatal("opened an auth-enabled server without credentials")
	}
	s := setup(t, srv.ClientURL()+"?tenant=acme&nkey="+seedFile)
	roundTrip(t, s)
	js, ok := s.(*natsjs.Saver)
	if !ok {
		t.Fatalf("saver %T", s)
	}
	if got := js.EventLog().Config().Stream; got != "JETGRAPH_acme_EVENTS" {
		t.Fatalf("stream %q, want the tenant's", got)
	}
}

func TestNATSURLQueryIsChecked(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"nats://127.0.0.1:4222?tenant=a.b",
		"nats://127.0.0.1:4222?tenant=" + strings.Repeat("x", 65),
		"nats://127.0.0.1:4222?password=secret",
		"nats://127.0.0.1:4222?tenant=%zz",
	} {
		if _, _, _, err := open.NATS(u); !errors.Is(err, saver.ErrInvalid) {
			t.Errorf("%s: err %v, want %v", u, err, saver.ErrInvalid)
		}
	}
	servers, cfg, opts, err := open.NATS("nats://h1:4222,nats://h2:4222?tenant=t-1&ca=ca.pem")
	if err != nil || servers != "nats://h1:4222,nats://h2:4222" || cfg.Tenant != "t-1" || len(opts) != 1 {
		t.Fatalf("got %q %+v %d options, %v", servers, cfg, len(opts), err)
	}
}
