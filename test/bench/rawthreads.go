package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
)

// rawThreadsEmbedded measures the JetStream ceiling for the threads phase
// on an embedded single server, in-process connection, file storage.
func rawThreadsEmbedded(ctx context.Context, o options, out *printer) error {
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: filepath.Join(o.dir, "raw-threads")})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // best effort at exit
	js, nc, err := srv.JetStream()
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := rawThreads(ctx, js, 1, "embedded", o, out); err != nil {
		return err
	}
	return appendThreads(ctx, js, o, out)
}

// appendThreads is rawThreads through the event log: C goroutines each
// append 64-byte events to a thread of their own with eventlog.Append
// (expected sequence, message id, thread header), the same number as
// rawThreads, on the same server. Between the raw figure and the invokes
// of the threads figures, it shows what the log adds.
func appendThreads(ctx context.Context, js jetstream.JetStream, o options, out *printer) error {
	l, err := eventlog.New(ctx, js, eventlog.Config{Stream: "APPENDT", Prefix: "appendt"})
	if err != nil {
		return err
	}
	payload := make([]byte, 64)
	for _, c := range o.threads {
		n := max(o.k, (4000+c-1)/c)
		lasts := make([]uint64, c)
		app := func(ctx context.Context, w, _ int) error {
			seq, err := l.Append(ctx, fmt.Sprintf("t%d-%d", c, w), lasts[w], payload)
			lasts[w] = seq
			return err
		}
		if _, _, err := concurrently(ctx, c, 10, app); err != nil {
			return fmt.Errorf("%d threads: warm-up: %w", c, err)
		}
		runtime.GC()
		lat, elapsed, err := concurrently(ctx, c, n, app)
		if err != nil {
			return fmt.Errorf("%d threads: %w", c, err)
		}
		out.print(map[string]any{
			"bench": "threads_append", "server": "embedded", "threads": c, "appends": c * n,
			"appends_per_s": round(float64(c*n)/elapsed.Seconds(), 0),
			"p50_us":        us(percentile(lat, 0.50)), "p99_us": us(percentile(lat, 0.99)),
		})
	}
	return nil
}

// rawThreadsCluster is rawThreadsEmbedded on a 3-node loopback cluster,
// with the stream at the given replicas.
func rawThreadsCluster(ctx context.Context, replicas int, o options, out *printer) error {
	c, err := natsembed.StartCluster(ctx, filepath.Join(o.dir, fmt.Sprint("raw-cluster-r", replicas)), 3)
	if err != nil {
		return err
	}
	defer c.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // best effort at exit
	js, nc, err := c.JetStream()
	if err != nil {
		return err
	}
	defer nc.Close()
	return rawThreads(ctx, js, replicas, "cluster", o, out)
}

// rawThreads: for each C of o.threads, C goroutines each publish 64-byte
// messages on a subject of its own, with the expected-sequence header, one
// at a time, through the async publish API (one shared reply
// subscription), as the event log appends, after an untimed round at the
// same C.
func rawThreads(ctx context.Context, js jetstream.JetStream, replicas int, server string, o options, out *printer) error {
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "RAWT", Subjects: []string{"rawt.>"}, Storage: jetstream.FileStorage, Replicas: replicas,
	}); err != nil {
		return err
	}
	payload := make([]byte, 64)
	publish := func(ctx context.Context, subj string, last *uint64) error {
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: subj, Data: payload}, jetstream.WithExpectLastSequencePerSubject(*last))
		if err != nil {
			return err
		}
		select {
		case ack := <-f.Ok():
			*last = ack.Sequence
			return nil
		case err := <-f.Err():
			return fmt.Errorf("publish after %d: %w", *last, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var last uint64
	for range warmup {
		if err := publish(ctx, "rawt.warmup", &last); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	for _, c := range o.threads {
		// Enough publishes per goroutine for a rate: at least K, and
		// about 4,000 in all.
		n := max(o.k, (4000+c-1)/c)
		lasts := make([]uint64, c)
		pub := func(ctx context.Context, w, _ int) error {
			return publish(ctx, fmt.Sprintf("rawt.%d.%d", c, w), &lasts[w])
		}
		// An untimed round at the same C first, as the threads figures have.
		if _, _, err := concurrently(ctx, c, 10, pub); err != nil {
			return fmt.Errorf("%d threads: warm-up: %w", c, err)
		}
		runtime.GC()
		lat, elapsed, err := concurrently(ctx, c, n, pub)
		if err != nil {
			return fmt.Errorf("%d threads: %w", c, err)
		}
		out.print(map[string]any{
			"bench": "threads_raw", "server": server, "replicas": replicas, "threads": c, "publishes": c * n,
			"publishes_per_s": round(float64(c*n)/elapsed.Seconds(), 0),
			"p50_us":          us(percentile(lat, 0.50)), "p99_us": us(percentile(lat, 0.99)),
		})
	}
	return nil
}
