package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/natsembed"
)

// rawPublish measures synchronous JetStream publishes of 64-byte messages
// on one subject, each with the expected-sequence header, on an embedded
// file-storage server: what one append costs at best.
func rawPublish(ctx context.Context, o options, out *printer) error {
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: filepath.Join(o.dir, "raw")})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // best effort at exit
	js, nc, err := srv.JetStream()
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		return err
	}
	const n = 5000
	payload := make([]byte, 64)
	var last uint64
	for range warmup { // untimed, on a subject of its own
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: "raw.warmup", Data: payload}, jetstream.WithExpectLastSequencePerSubject(last))
		if err != nil {
			return fmt.Errorf("warm-up publish after %d: %w", last, err)
		}
		last = ack.Sequence
	}
	lat := make([]time.Duration, 0, n)
	last = 0
	start := time.Now()
	for range n {
		t0 := time.Now()
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: "raw.thread", Data: payload}, jetstream.WithExpectLastSequencePerSubject(last))
		if err != nil {
			return fmt.Errorf("publish after %d: %w", last, err)
		}
		lat = append(lat, time.Since(t0))
		last = ack.Sequence
	}
	elapsed := time.Since(start)
	out.print(map[string]any{
		"bench":     "raw_publish",
		"ops_per_s": round(n/elapsed.Seconds(), 0),
		"p50_us":    round(float64(median(lat))/float64(time.Microsecond), 1),
	})
	return nil
}
