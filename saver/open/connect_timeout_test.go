package open_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver/open"
)

// silentServer accepts TCP connections on loopback and never answers, as a
// wedged server or a black-holing proxy would. Everything is closed when
// the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

var errOpened = errors.New("opened a saver on a server that never answered")

// A PostgreSQL URL without connect_timeout, opened with a context that has
// no deadline, on a server that accepts the connection and never answers:
// open.Open gives up with an error (after open.DefaultConnectTimeout)
// instead of waiting forever.
func TestSaverGivesUpOnAPostgresServerThatNeverAnswers(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	type result struct {
		err     error
		elapsed time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		s, err := open.Open(context.Background(), "postgres://u@"+addr+"/db?sslmode=disable")
		if err == nil {
			_ = s.Close(context.Background())
			err = errOpened
		}
		done <- result{err, time.Since(start)}
	}()
	// Only a guard against hanging the test binary: the bound under test is
	// the connect timeout.
	guard := time.NewTimer(open.DefaultConnectTimeout + time.Minute)
	defer guard.Stop()
	select {
	case r := <-done:
		if errors.Is(r.err, errOpened) {
			t.Fatal(r.err)
		}
		t.Logf("gave up after %v: %v", r.elapsed.Round(time.Millisecond), r.err)
	case <-guard.C:
		t.Fatalf("open.Open still waiting after %v on a server that never answers", open.DefaultConnectTimeout+time.Minute)
	}
}

// The same for a NATS URL: the client's connect timeout bounds the wait
// for the server's greeting.
func TestSaverGivesUpOnANATSServerThatNeverAnswers(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		s, err := open.Open(context.Background(), "nats://"+addr)
		if err == nil {
			_ = s.Close(context.Background())
			err = errOpened
		}
		done <- err
	}()
	guard := time.NewTimer(time.Minute) // only against hanging the test binary
	defer guard.Stop()
	select {
	case err := <-done:
		if errors.Is(err, errOpened) {
			t.Fatal(err)
		}
		t.Logf("gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-guard.C:
		t.Fatal("open.Open still waiting after a minute on a NATS server that never answers")
	}
}
