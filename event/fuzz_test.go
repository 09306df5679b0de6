package event

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// FuzzDecode: any bytes either decode into checked records that encode and
// decode again to the same records, or fail with a DecodeError; never panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	for _, recs := range sampleRecords() {
		b, _ := Encode(recs)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		recs, err := Decode(payload)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			return
		}
		again, err := Encode(recs)
		if err != nil {
			t.Fatalf("decoded records do not encode: %v", err)
		}
		recs2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded records do not decode: %v", err)
		}
		if !reflect.DeepEqual(recs, recs2) {
			t.Fatalf("round trip changed the records:\n%+v\n%+v", recs, recs2)
		}
		NewThread("fuzz").ApplyRecords(1, recs) // folding valid records never panics
	})
}

// FuzzFold reads the input as a script of saver operations, runs it through
// the planners, and checks that the incremental fold, a cold fold of the log
// and a restored snapshot agree, and that every checkpoint reads back the
// values that were put.
func FuzzFold(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 2, 3, 0, 0})
	f.Add([]byte{0, 1, 1, 1, 2, 4, 0, 5, 6, 0, 7, 0})
	f.Add(bytes.Repeat([]byte{0, 9}, 40))
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 400 {
			return
		}
		s := newScript(t, "fuzz")
		var ids []string
		pick := func(b byte) string {
			if len(ids) == 0 {
				return ""
			}
			return ids[int(b)%len(ids)]
		}
		grow := map[string]string{}
		for i := 0; i+1 < len(script); i += 2 {
			op, arg := script[i]%8, script[i+1]
			switch op {
			case 0, 1, 2: // put a child of some checkpoint (line, fork or update)
				parent := pick(arg)
				src := []saver.Source{saver.SourceLoop, saver.SourceFork, saver.SourceUpdate}[op]
				if parent == "" {
					src = saver.SourceInput
				}
				val := grow[parent] + string(bytes.Repeat([]byte{'a' + arg%26}, int(arg%90)))
				cp := saver.Checkpoint{ID: saver.NewCheckpointID(parent), TS: time.Unix(0, int64(i)), ChannelValues: map[string][]byte{"v": []byte(val)},
					ChannelVersions: map[string]uint64{"v": uint64(arg)}, VersionsSeen: map[string]map[string]uint64{"node": {}, "other": {"v": uint64(arg)}}}
				if arg%2 == 0 {
					cp.ChannelValues["empty"] = []byte{}
				}
				md := saver.Metadata{Source: src, RunID: string(rune('a' + arg%3)), Parents: map[string]string{},
					Extra: map[string]any{"n": int(arg), "u": uint8(arg), "f": float32(arg), "l": []int{int(arg)}, "m": map[string]int{"k": 1}}}
				cfg := saver.Config{ThreadID: "fuzz", CheckpointID: parent}
				nv := map[string]uint64{"v": 1, "empty": 1}
				var recs []Record
				var err error
				if arg%3 == 0 { // as a superstep: the put and a write to it in one commit
					recs, _, err = s.thread.PlanCommit([]saver.Op{
						{Put: &saver.PutOp{Config: cfg, Checkpoint: cp, Metadata: md, NewVersions: nv}},
						{Writes: &saver.WritesOp{Config: saver.Config{ThreadID: "fuzz", CheckpointID: cp.ID}, Writes: []saver.Write{{Channel: "x", Value: []byte{arg}}}, TaskID: "step"}},
					})
					if err != nil && s.thread.Provisional() {
						t.Fatalf("a refused commit left provisional state: %v", err)
					}
				} else {
					recs, _, err = s.thread.PlanPut(cfg, cp, md, nv)
				}
				if err != nil {
					continue // a conflict or a deleted parent: nothing to store
				}
				s.commit(recs, nil)
				ids = append(ids, cp.ID)
				grow[cp.ID] = val
				s.want[cp.ID] = map[string]string{"v": val}
				if arg%2 == 0 {
					s.want[cp.ID]["empty"] = ""
				}
			case 3:
				if id := pick(arg); id != "" {
					recs, err := s.thread.PlanWrites(saver.Config{ThreadID: "fuzz", CheckpointID: id},
						[]saver.Write{{Channel: []string{"x", saver.ChannelError}[arg%2], Value: []byte{arg}}}, string(rune('a'+arg%4)))
					if err == nil {
						s.commit(recs, nil)
					}
				}
			case 4:
				s.commit(s.thread.PlanDelete(), nil)
			case 5:
				s.commit(s.thread.PlanRollback([]string{string(rune('a' + arg%3))}), nil)
			case 6:
				s.commit(s.thread.PlanPrune(saver.PruneKeepLatest))
			default:
				s.check()
			}
		}
		// rolled-back and pruned checkpoints are no longer expected
		for id := range s.want {
			if !s.thread.Has(Ref{ID: id}) {
				delete(s.want, id)
			}
		}
		s.check()
	})
}

func sampleRecords() [][]Record {
	cp := &CheckpointRecord{ID: "01", ParentID: "00", TS: 1, Versions: Versions{"a": 1},
		Metadata: MetadataRecord{Source: "loop", Step: 2, Extra: map[string]any{"k": "v"}},
		Values:   []ChannelDelta{{Channel: "a", Op: OpSet, Data: []byte("x")}, {Channel: "b", Op: OpAppend, Data: []byte("y")}, {Channel: "c", Op: OpClear}}}
	return [][]Record{
		{{Kind: KindCheckpoint, V: 1, Checkpoint: cp}},
		{{Kind: KindWrites, V: 1, Writes: &WritesRecord{CheckpointID: "01", Writes: []WriteRecord{{TaskID: "t", Idx: -1, Channel: "__error__", Value: []byte("e")}}}}},
		{{Kind: KindSeed, V: 1, Seed: &SeedRecord{Origin: &Origin{ThreadID: "src", CheckpointID: "01", Seq: 9}, Entries: []SeedEntry{{Checkpoint: *cp}}}}},
		{{Kind: KindTombstone, V: 1, Tombstone: &TombstoneRecord{DeletedThrough: "01"}}, {Kind: KindRollback, V: 1, Rollback: &RollbackRecord{RunIDs: []string{"r"}}}},
	}
}
