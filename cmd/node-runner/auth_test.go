package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// A --nats URL with a password in it is refused, naming where the
// password goes, and never echoed; from $NATS_URL it is accepted.
func TestURLWithPasswordIsRefused(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--nats", "nats://me:hunter2@127.0.0.1:1"},
		{"start", "--nats", "nats://127.0.0.1:1,nats://hunter2@127.0.0.1:2"},
	} {
		var stderr bytes.Buffer
		err := run(t.Context(), args, nil, io.Discard, &stderr)
		if !errors.As(err, new(usageError)) {
			t.Fatalf("%q: %v, want a usage error", args, err)
		}
		if !strings.Contains(err.Error(), "$NATS_PASSWORD") || strings.Contains(err.Error()+stderr.String(), "hunter2") {
			t.Fatalf("%q: message %q", args, err)
		}
	}
	env := func(k string) string {
		if k == "NATS_URL" {
			return "nats://me:hunter2@127.0.0.1:1"
		}
		return ""
	}
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"start", "--threads", "0"}, env, io.Discard, &stderr)
	if err == nil || errors.As(err, new(usageError)) {
		t.Fatalf("$NATS_URL with a password, no server there: %v, want a connection error", err)
	}
	if strings.Contains(err.Error()+stderr.String(), "hunter2") {
		t.Fatalf("the password shows: %v\n%s", err, stderr.String())
	}
}

// A runner and a start client of tenant a reach a server that enforces
// the tenants' permission set: the runner's password comes from
// $NATS_PASSWORD, the client's from --password-file.
func TestTenantRunnerWithCredentialsFromEnvAndFile(t *testing.T) {
	pass := map[string]string{"A": "pw-a-" + t.Name(), "B": "pw-b-" + t.Name()}
	for k, v := range pass {
		t.Setenv("JETGRAPH_TENANT_"+k+"_PASSWORD", v)
	}
	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true, ConfigFile: "../../deploy/nats-tenants.conf"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	url := srv.ClientURL()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	// Without credentials: refused.
	if err := run(ctx, []string{"start", "--nats", url, "--graph", "chat", "--threads", "1"}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("start connected without credentials")
	}

	env := func(k string) string {
		return map[string]string{"NATS_USER": "tenant-a", "NATS_PASSWORD": pass["A"], "JETGRAPH_TENANT": "a"}[k]
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(rctx, []string{"--nats", url, "--listen", ""}, env, io.Discard, pw)
		_ = pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	ready := false
	for !ready && sc.Scan() {
		ready = strings.Contains(sc.Text(), `"node-runner ready"`)
	}
	if !ready {
		stop()
		t.Fatalf("runner never got ready: %v", <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte(pass["A"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clientEnv := func(k string) string { return map[string]string{"NATS_USER": "tenant-a"}[k] }
	var out bytes.Buffer
	if err := run(ctx, []string{"start", "--nats", url, "--tenant", "a", "--password-file", pwFile, "--graph", "chat", "--threads", "3"}, clientEnv, &out, io.Discard); err != nil {
		t.Fatalf("start: %v", err)
	}
	if !strings.Contains(out.String(), "threads=3 failed=0") {
		t.Fatalf("start printed %q", out.String())
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("runner stopped with %v", err)
	}
}

// --tls-ca, --tls-cert and --tls-key reach a server that requires client
// certificates; without them the client is refused.
func TestTLSFlags(t *testing.T) {
	t.Parallel()
	pki := natstest.PKI(t)
	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true,
		TLS: natsembed.TLS{Cert: pki.ServerCert, Key: pki.ServerKey, ClientCA: pki.CA}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	url := srv.ClientURL()
	if err := run(t.Context(), []string{"start", "--nats", url, "--tls-ca", pki.CA, "--threads", "0"}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("connected without a client certificate")
	}
	var out bytes.Buffer
	args := []string{"start", "--nats", url, "--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey, "--threads", "0"}
	if err := run(t.Context(), args, nil, &out, io.Discard); err != nil {
		t.Fatalf("start over TLS: %v", err)
	}
}
