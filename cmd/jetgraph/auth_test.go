package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// startServe runs serve with args until the test ends and returns its
// client URL (nats:// or, with TLS, tls://).
func startServe(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	out := newNotifyBuffer()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, args...),
			func(k string) string { return env[k] }, strings.NewReader(""), out, out)
	}()
	t.Cleanup(func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("serve exits %d:\n%s", code, out.String())
		}
	})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	banner := out.waitFor(t, wctx, " (data in ")
	const on = "serving JetStream on "
	return strings.Fields(banner[strings.Index(banner, on)+len(on):])[0]
}

// serve --config runs the tenants' permission set; the commands connect
// with credentials from the environment or a file and a tenant, and a
// --saver URL holding the password is refused without echoing it.
func TestServeTenantsAndCredentialsFromEnvAndFiles(t *testing.T) {
	t.Setenv("JETGRAPH_TENANT_A_PASSWORD", "pw-a-"+t.Name())
	t.Setenv("JETGRAPH_TENANT_B_PASSWORD", "pw-b-"+t.Name())
	url := startServe(t, nil, "--config", "../../deploy/nats-tenants.conf")

	if r := jg(t, map[string]string{"JETGRAPH_SAVER": url}, "", "threads"); r.code != 1 || !strings.Contains(r.stderr, "Authorization Violation") {
		t.Fatalf("no credentials: %+v", r)
	}
	a := map[string]string{"JETGRAPH_SAVER": url, "JETGRAPH_NATS_USER": "tenant-a", "JETGRAPH_NATS_PASSWORD": "pw-a-" + t.Name(), "JETGRAPH_TENANT": "a"}
	ok(t, a, chatTurns, "chat", "--thread", "t1")
	if st := decode[jsonCheckpoint](t, ok(t, a, "", "state", "t1", "--json")); st.Messages != 4 {
		t.Fatalf("tenant a's state = %+v", st)
	}

	// The URL's tenant comes first, for the names and the inbox prefix.
	byURL := map[string]string{"JETGRAPH_SAVER": url + "?tenant=a", "JETGRAPH_NATS_USER": "tenant-a", "JETGRAPH_NATS_PASSWORD": "pw-a-" + t.Name(), "JETGRAPH_TENANT": "b"}
	if st := decode[jsonCheckpoint](t, ok(t, byURL, "", "state", "t1", "--json")); st.Messages != 4 {
		t.Fatalf("tenant a's state by ?tenant=a = %+v", st)
	}

	// The projector service and rebuild use the tenant's snapshot bucket,
	// which is all the permissions allow.
	if out := ok(t, a, "", "projector", "--once"); !strings.Contains(out, "projecting stream JETGRAPH_a_EVENTS") || !strings.Contains(out, "caught up") {
		t.Fatalf("projector --once as tenant a: %q", out)
	}
	ok(t, a, "", "rebuild")

	// Tenant b, its password in a file: the same thread id is not a's.
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw-b-"+t.Name()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := map[string]string{"JETGRAPH_SAVER": url, "JETGRAPH_NATS_USER": "tenant-b"}
	if r := jg(t, b, "", "state", "t1", "--tenant", "b", "--nats-password-file", pwFile); r.code != 1 || !strings.Contains(r.stderr, "no such thread") {
		t.Fatalf("tenant b reads t1: %+v", r)
	}

	// The password in a --saver URL: refused, pointing to where it goes.
	inline := strings.Replace(url, "nats://", "nats://tenant-a:pw-a-"+t.Name()+"@", 1)
	r := jg(t, nil, "", "threads", "--saver", inline, "--tenant", "a")
	if r.code != 2 || !strings.Contains(r.stderr, "$JETGRAPH_NATS_PASSWORD") || strings.Contains(r.stderr+r.stdout, "pw-a-") {
		t.Fatalf("--saver with a password: %+v", r)
	}
	r = jg(t, nil, "", "projector", "--once", "--nats", inline)
	if r.code != 2 || !strings.Contains(r.stderr, "$JETGRAPH_NATS_PASSWORD") || strings.Contains(r.stderr+r.stdout, "pw-a-") {
		t.Fatalf("projector --nats with a password: %+v", r)
	}
	// In $JETGRAPH_SAVER it is not on the command line: accepted.
	if out := ok(t, map[string]string{"JETGRAPH_SAVER": inline, "JETGRAPH_TENANT": "a"}, "", "threads"); !strings.Contains(out, "t1") {
		t.Fatalf("threads by $JETGRAPH_SAVER with a password: %q", out)
	}
}

// serve --user takes its password from the environment or a file, never a
// flag, and refuses clients without it.
func TestServeUserPassword(t *testing.T) {
	t.Parallel()
	if r := jg(t, nil, "", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--user", "alice"); r.code != 2 || !strings.Contains(r.stderr, "JETGRAPH_SERVE_PASSWORD") {
		t.Fatalf("--user without a password: %+v", r)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := startServe(t, nil, "--user", "alice", "--password-file", pwFile)
	if r := jg(t, map[string]string{"JETGRAPH_SAVER": url}, "", "threads"); r.code != 1 {
		t.Fatalf("no credentials: %+v", r)
	}
	env := map[string]string{"JETGRAPH_SAVER": url, "JETGRAPH_NATS_USER": "alice", "JETGRAPH_NATS_PASSWORD": "s3cret"}
	ok(t, env, "hello\n", "chat", "--thread", "t")
	if r := jg(t, map[string]string{"JETGRAPH_SAVER": url, "JETGRAPH_NATS_USER": "alice", "JETGRAPH_NATS_PASSWORD": "wrong"}, "", "threads"); r.code != 1 || strings.Contains(r.stderr, "wrong") {
		t.Fatalf("wrong password: %+v", r)
	}
}

// serve --tls-* serves TLS and requires client certificates; the commands
// trust the CA with --nats-ca and present --nats-cert and --nats-key.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	pki := natstest.PKI(t)
	url := startServe(t, nil, "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--tls-client-ca", pki.CA)
	env := map[string]string{"JETGRAPH_SAVER": url}
	if r := jg(t, env, "", "threads", "--nats-ca", pki.CA); r.code != 1 {
		t.Fatalf("without a client certificate: %+v", r)
	}
	if r := jg(t, env, "", "threads", "--nats-cert", pki.ClientCert); r.code != 2 {
		t.Fatalf("--nats-cert without --nats-key: %+v", r)
	}
	ok(t, env, "hello\n", "chat", "--thread", "t", "--nats-ca", pki.CA, "--nats-cert", pki.ClientCert, "--nats-key", pki.ClientKey)
	if out := ok(t, env, "", "threads", "--nats-ca", pki.CA, "--nats-cert", pki.ClientCert, "--nats-key", pki.ClientKey); !strings.Contains(out, "t") {
		t.Fatalf("threads over TLS: %q", out)
	}
}

// A PostgreSQL URL with a password in --saver is refused before anything
// connects, pointing to where the password goes, and is not echoed.
func TestPostgresPasswordInSaverFlagIsRefused(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"postgres://app:pg-secret@127.0.0.1:1/db",
		"postgresql://app@127.0.0.1:1/db?sslmode=disable&password=pg-secret",
	} {
		r := jg(t, nil, "", "threads", "--saver", u)
		if r.code != 2 || !strings.Contains(r.stderr, "$PGPASSWORD") || strings.Contains(r.stderr+r.stdout, "pg-secret") {
			t.Fatalf("--saver %s: %+v", u, r)
		}
	}
	// Without a password it goes on to connect (and fails: nothing listens).
	if r := jg(t, nil, "", "threads", "--saver", "postgres://app@127.0.0.1:1/db?connect_timeout=1"); r.code != 1 {
		t.Fatalf("--saver without a password: %+v", r)
	}
}
