package natsjs_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// A snapshot manifest forged by another client at a far-future sequence,
// naming a well-formed snapshot of the thread that holds other content, is
// never served: a reader starting cold reads the thread's own history, the
// forged content appears nowhere, and snapshots resume (the writer's or the
// projector's next one replaces the forgery and drops its chunks).
func TestForgedFutureSnapshotManifestIsReplaced(t *testing.T) {
	t.Parallel()
	for _, by := range []natsjs.SnapshotBy{natsjs.ByWriter, natsjs.ByProjector} {
		t.Run(string(by), func(t *testing.T) {
			t.Parallel()
			srv, js := setupServer(t)
			ctx := t.Context()
			var logs logBuffer
			cfg := isolated(1)
			cfg.Logger = logs.logger()
			cfg.Projector.MinSnapshotBytes = 1

			// The forgery: a real snapshot of a thread named victim, made
			// on a stream and bucket of the forger's own.
			fcfg := isolated(1)
			fcfg.Projector.MinSnapshotBytes = 1
			forger := open(t, js, fcfg)
			if _, err := listGraph(t, forger).Invoke(ctx, listState{}, graph.Config{ThreadID: "victim"}); err != nil {
				t.Fatal(err)
			}
			putHostile(t, forger, "victim", "notes", []byte("\xa6FORGED"))
			// Folded from the forger's log rather than read from its bucket:
			// whether its writer took a snapshot after the last event
			// depends on the snapshot policy's sizes.
			last, err := forger.EventLog().LastSeq(ctx, "victim")
			if err != nil {
				t.Fatal(err)
			}
			folded, err := forger.EventLog().Replay(ctx, "victim", nil, last, nil)
			if err != nil {
				t.Fatal(err)
			}
			forged, err := folded.Snapshot()
			if err != nil || !strings.Contains(string(forged), "FORGED") {
				t.Fatalf("the forger's snapshot: %v", err)
			}

			// The victim's own history, written without snapshots.
			wcfg := cfg
			wcfg.SnapshotBy = natsjs.ByOther
			w := open(t, js, wcfg)
			chain := listGraph(t, w)
			thread := graph.Config{ThreadID: "victim"}
			for range 3 {
				if _, err := chain.Invoke(ctx, listState{}, thread); err != nil {
					t.Fatal(err)
				}
			}

			raw, _ := rawClient(t, srv)
			kv, err := raw.KeyValue(ctx, cfg.Projector.Bucket)
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := eventlog.EncodeThread("victim")
			const far = uint64(1) << 62
			chunk := "c." + tok + "." + strconv.FormatUint(far, 10) + ".0"
			if _, err := kv.Put(ctx, chunk, forged); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(forged)
			m, _ := json.Marshal(map[string]any{"seq": far, "size": len(forged), "chunks": 1, "sha256": hex.EncodeToString(sum[:])})
			if _, err := kv.Put(ctx, "m."+tok, m); err != nil {
				t.Fatal(err)
			}

			cfg.SnapshotBy = by
			s := open(t, js, cfg) // starts cold: its projector too
			sameTuples(t, history(t, s, "victim"), history(t, w, "victim"))
			chain = listGraph(t, s)
			for range 3 {
				if _, err := chain.Invoke(ctx, listState{}, thread); err != nil {
					t.Fatal(err)
				}
			}
			settle(t, s)
			final, err := s.EventLog().LastSeq(ctx, "victim")
			if err != nil {
				t.Fatal(err)
			}
			got, at, err := s.Snapshots().Load(ctx, "victim")
			if err != nil || at == 0 || at > final || strings.Contains(string(got), "FORGED") {
				t.Fatalf("snapshot at %d (%v) after the thread went on to %d: want a real one, the forgery replaced", at, err, final)
			}
			if _, err := kv.Get(ctx, chunk); err == nil {
				t.Fatal("the forged snapshot's chunk is still in the bucket")
			}
			for i, r := range []*natsjs.Saver{s, reader(t, js, cfg)} {
				h := history(t, r, "victim")
				if len(h) != len(history(t, w, "victim")) {
					t.Fatalf("reader %d: %d checkpoints, want %d", i, len(h), len(history(t, w, "victim")))
				}
				for _, tu := range h {
					if tupleHolds(tu, "FORGED") {
						t.Fatalf("reader %d: checkpoint %s holds the forged content", i, tu.Config.CheckpointID)
					}
				}
				st, err := listGraph(t, r).GetState(ctx, thread)
				if err != nil || len(st.Values.Items) != 6 || len(st.Values.Notes) != 6 {
					t.Fatalf("reader %d: state %+v, %v; want six runs' items and notes", i, st.Values, err)
				}
			}
		})
	}
}
