package eventlog_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// BenchmarkAppend compares an append with the raw sync publish it is made
// of, on one embedded server, for a 64-byte and a 1 KiB event (a one-node
// invoke's commits weigh about 700 bytes): raw, raw with the message id
// (the server's duplicate check), and eventlog.Append.
func BenchmarkAppend(b *testing.B) {
	_, js := natstest.Server(b)
	l, err := eventlog.New(b.Context(), js, eventlog.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := js.CreateStream(b.Context(), jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	runs := 0 // subjects of their own per run: -count reruns on one server
	for _, size := range []int{64, 1024} {
		payload := make([]byte, size)
		publish := func(b *testing.B, subject string, withID bool) {
			runs++
			subject += "." + strconv.Itoa(runs)
			var last uint64
			for b.Loop() {
				opts := []jetstream.PublishOpt{jetstream.WithExpectLastSequencePerSubject(last)}
				if withID {
					opts = append(opts, jetstream.WithMsgID(eventlog.MsgID(subject, last, payload)))
				}
				ack, err := js.PublishMsg(b.Context(), &nats.Msg{Subject: subject, Data: payload}, opts...)
				if err != nil {
					b.Fatal(err)
				}
				last = ack.Sequence
			}
		}
		b.Run("raw/"+strconv.Itoa(size), func(b *testing.B) { publish(b, "raw.a"+strconv.Itoa(size), false) })
		b.Run("raw-msgid/"+strconv.Itoa(size), func(b *testing.B) { publish(b, "raw.b"+strconv.Itoa(size), true) })
		b.Run("append/"+strconv.Itoa(size), func(b *testing.B) {
			runs++
			thread := "t" + strconv.Itoa(runs)
			var last uint64
			for i := 0; b.Loop(); i++ {
				payload[0] = byte(i) // a new event each time, as a thread's are
				if last, err = l.Append(b.Context(), thread, last, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendParallel is BenchmarkAppend with GOMAXPROCS×p goroutines
// (-cpu and the p sub-benchmarks) appending at once through one
// connection, each on a subject (thread) of its own: raw sync publishes
// (jetstream's request per publish), raw async publishes awaited one at a
// time, and eventlog.Append. Each appends 64-byte events conditional on
// its own last sequence.
func BenchmarkAppendParallel(b *testing.B) {
	_, js := natstest.Server(b)
	l, err := eventlog.New(b.Context(), js, eventlog.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := js.CreateStream(b.Context(), jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	var subjects atomic.Int64 // subjects of their own per goroutine and run
	payload := make([]byte, 64)
	kinds := []struct {
		name   string
		append func(subject string, last uint64) (uint64, error)
	}{
		{"raw-sync", func(subject string, last uint64) (uint64, error) {
			ack, err := js.PublishMsg(b.Context(), &nats.Msg{Subject: "raw." + subject, Data: payload}, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				return 0, err
			}
			return ack.Sequence, nil
		}},
		{"raw-async", func(subject string, last uint64) (uint64, error) {
			f, err := js.PublishMsgAsync(&nats.Msg{Subject: "raw." + subject, Data: payload}, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				return 0, err
			}
			select {
			case ack := <-f.Ok():
				return ack.Sequence, nil
			case err := <-f.Err():
				return 0, err
			}
		}},
		{"append", func(subject string, last uint64) (uint64, error) {
			return l.Append(b.Context(), subject, last, payload)
		}},
	}
	for _, k := range kinds {
		for _, p := range []int{1, 32} {
			b.Run(k.name+"/p"+strconv.Itoa(p), func(b *testing.B) {
				b.SetParallelism(p)
				b.RunParallel(func(pb *testing.PB) {
					subject := "s" + strconv.FormatInt(subjects.Add(1), 10)
					var last uint64
					for pb.Next() {
						var err error
						if last, err = k.append(subject, last); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
