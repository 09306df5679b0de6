package event

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// reflectEncode is the reflection encoder that Encode and Snapshot
// replaced, kept as their oracle: the hand-written encoder must write
// exactly its bytes.
func reflectEncode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// requireSameEncoding fails t unless Encode writes recs as reflectEncode does.
func requireSameEncoding(t *testing.T, recs []Record) {
	t.Helper()
	want, err := reflectEncode(recs)
	if err != nil {
		t.Fatalf("reflection encoder: %v", err)
	}
	got, err := Encode(recs)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Encode differs from the reflection encoder at byte %d\n got %x\nwant %x", firstDiff(got, want), got, want)
	}
}

// requireSameSnapshot fails t unless the hand-written snapshot encoding of s
// is what reflectEncode writes.
func requireSameSnapshot(t *testing.T, s snapshot) {
	t.Helper()
	want, err := reflectEncode(s)
	if err != nil {
		t.Fatalf("reflection encoder: %v", err)
	}
	e := getEncoder()
	defer putEncoder(e)
	e.snapshot(&s)
	got, err := e.bytes()
	if err != nil {
		t.Fatalf("encode snapshot: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("snapshot encoding differs from the reflection encoder at byte %d\n got %x\nwant %x", firstDiff(got, want), got, want)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// boundaryInts sit on either side of every msgpack int format.
var boundaryInts = []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
	-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}

// boundaryLens sit on either side of every msgpack str, bin, array and map
// length format.
var boundaryLens = []int{0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536}

func fullCheckpoint() *CheckpointRecord {
	return &CheckpointRecord{
		NS: "sub:1", ID: "1f0a-02", ParentID: "1f0a-01", TS: 1700000000123456789,
		Versions:     Versions{"messages": 3, "b": 1, "__start__": math.MaxUint64},
		VersionsSeen: SeenVersions{"reply": {"messages": 2, "a": 0}, "__input__": {}, "none": nil},
		Metadata: MetadataRecord{Source: "loop", Step: 7, Parents: map[string]string{"": "1f0a-00", "sub": "x"}, RunID: "run-1",
			Extra: map[string]any{"user": "ann", "n": 3, "neg": int64(-5), "u": uint8(200), "f32": float32(1.5), "f64": -2.25, "ok": true, "no": false,
				"nil": nil, "list": []any{1, "two", 3.0, nil, []any{}, map[string]any{"z": 1, "a": []int{1, 2}}},
				"nested": map[string]any{"b": map[string]any{"y": "1", "x": uint64(math.MaxUint64)}, "a": []string{"p", "q"}},
				"bytes":  []byte("raw"), "emptymap": map[string]any{}, "strs": map[string]string{"k2": "v", "k1": "w"}}},
		Values: []ChannelDelta{{Channel: "a", Op: OpSet, Data: []byte("x")}, {Channel: "b", Op: OpAppend, Data: bytes.Repeat([]byte{0xff}, 120)}, {Channel: "c", Op: OpClear}},
	}
}

func fullWrites() []WriteRecord {
	return []WriteRecord{{TaskID: "t1", Idx: 0, Channel: "messages", Value: []byte("v")}, {TaskID: "t1", Idx: -1, Channel: "__error__"}, {TaskID: "t2", Idx: 300, Channel: "x", Value: []byte{}}}
}

// encodeCases lists records that differ in every way the encoding can.
func encodeCases() map[string][]Record {
	cp := fullCheckpoint()
	cases := map[string][]Record{
		"nil batch":          nil,
		"empty batch":        {},
		"no body":            {{Kind: KindCheckpoint, V: 1}},
		"unknown kind":       {{Kind: "future", V: 99}},
		"every body at once": {{Kind: KindCheckpoint, V: 1, Checkpoint: cp, Writes: &WritesRecord{CheckpointID: "c"}, Seed: &SeedRecord{}, Tombstone: &TombstoneRecord{}, Rollback: &RollbackRecord{}}},
		"checkpoint full":    {{Kind: KindCheckpoint, V: 1, Checkpoint: cp}},
		"checkpoint minimal": {{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{ID: "1"}}},
		"checkpoint empty maps and slices": {{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{ID: "1", Versions: Versions{}, VersionsSeen: SeenVersions{},
			Metadata: MetadataRecord{Parents: map[string]string{}, Extra: map[string]any{}}, Values: []ChannelDelta{}}}},
		"checkpoint unknown op and empty data": {{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{ID: "1",
			Values: []ChannelDelta{{Channel: "a", Op: "merge", Data: []byte{}}, {Channel: "", Op: ""}}}}},
		"checkpoint unicode": {{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{NS: "命名空间", ID: "ü-1", ParentID: "🙂",
			Versions: Versions{"é": 1, "e": 2, "ë": 3}, Metadata: MetadataRecord{Source: "ßource", RunID: "运行", Parents: map[string]string{"ñ": "ö"}, Extra: map[string]any{"ключ": "значение"}},
			Values: []ChannelDelta{{Channel: "канал", Op: OpSet, Data: []byte("данные")}}}}},
		"checkpoint negative ts": {{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{ID: "1", TS: -1}}},
		"writes full":            {{Kind: KindWrites, V: 1, Writes: &WritesRecord{NS: "ns", CheckpointID: "1", Writes: fullWrites()}}},
		"writes nil list":        {{Kind: KindWrites, V: 1, Writes: &WritesRecord{CheckpointID: "1"}}},
		"writes empty list":      {{Kind: KindWrites, V: 1, Writes: &WritesRecord{CheckpointID: "1", Writes: []WriteRecord{}}}},
		"seed full": {{Kind: KindSeed, V: 1, Seed: &SeedRecord{Origin: &Origin{ThreadID: "src", NS: "ns", CheckpointID: "1", Seq: 42}, DeletedThrough: "0",
			Entries: []SeedEntry{{Checkpoint: *cp, Writes: fullWrites(), Seq: 7, Removed: true}, {Checkpoint: CheckpointRecord{ID: "2"}}}}}},
		"seed minimal":                   {{Kind: KindSeed, V: 1, Seed: &SeedRecord{}}},
		"seed empty entries":             {{Kind: KindSeed, V: 1, Seed: &SeedRecord{Origin: &Origin{}, Entries: []SeedEntry{}}}},
		"seed entry empty writes":        {{Kind: KindSeed, V: 1, Seed: &SeedRecord{Entries: []SeedEntry{{Checkpoint: CheckpointRecord{ID: "1"}, Writes: []WriteRecord{}, Seq: math.MaxUint64}}}}},
		"tombstone":                      {{Kind: KindTombstone, V: 1, Tombstone: &TombstoneRecord{DeletedThrough: "9"}}},
		"tombstone empty":                {{Kind: KindTombstone, V: 1, Tombstone: &TombstoneRecord{}}},
		"rollback":                       {{Kind: KindRollback, V: 1, Rollback: &RollbackRecord{RunIDs: []string{"b", "a", "b"}}}},
		"rollback nil runs":              {{Kind: KindRollback, V: 1, Rollback: &RollbackRecord{}}},
		"rollback empty runs":            {{Kind: KindRollback, V: 1, Rollback: &RollbackRecord{RunIDs: []string{}}}},
		"commit of a put and its writes": {{Kind: KindCheckpoint, V: 1, Checkpoint: cp}, {Kind: KindWrites, V: 1, Writes: &WritesRecord{CheckpointID: cp.ID, Writes: fullWrites()}}},
	}
	for _, n := range boundaryInts {
		cases[fmt.Sprintf("int %d", n)] = []Record{
			{Kind: KindCheckpoint, V: int(n), Checkpoint: &CheckpointRecord{ID: "1", TS: n, Versions: Versions{"v": uint64(n)}, Metadata: MetadataRecord{Step: int(n), Extra: map[string]any{"n": n, "i": int(n)}}}},
			{Kind: KindWrites, V: 1, Writes: &WritesRecord{CheckpointID: "1", Writes: []WriteRecord{{Idx: int(n)}}}},
			{Kind: KindSeed, V: 1, Seed: &SeedRecord{Origin: &Origin{Seq: uint64(n)}, Entries: []SeedEntry{{Seq: uint64(n)}}}},
		}
	}
	for _, l := range boundaryLens {
		s := strings.Repeat("s", l)
		b := bytes.Repeat([]byte{'b'}, l)
		versions, seen, parents, extra := Versions{}, SeenVersions{}, map[string]string{}, map[string]any{}
		var values []ChannelDelta
		var writes []WriteRecord
		var runs []string
		var entries []SeedEntry
		for i := range min(l, 300) { // 300 entries reach the 16-bit formats
			k := fmt.Sprintf("k%03d", (i*7919)%1000) // unsorted, unique
			versions[k] = uint64(i)
			seen[k] = Versions{k: 1}
			parents[k] = k
			extra[k] = i
			values = append(values, ChannelDelta{Channel: k, Op: OpSet, Data: []byte(k)})
			writes = append(writes, WriteRecord{TaskID: k, Idx: i})
			runs = append(runs, k)
			entries = append(entries, SeedEntry{Checkpoint: CheckpointRecord{ID: k}})
		}
		cases[fmt.Sprintf("length %d", l)] = []Record{
			{Kind: Kind(s), V: 1, Checkpoint: &CheckpointRecord{NS: s, ID: s, Versions: versions, VersionsSeen: seen,
				Metadata: MetadataRecord{Source: s, Parents: parents, Extra: extra}, Values: append(values, ChannelDelta{Channel: s, Op: Op(s), Data: b})}},
			{Kind: KindWrites, V: 1, Writes: &WritesRecord{CheckpointID: s, Writes: append(writes, WriteRecord{Channel: s, Value: b})}},
			{Kind: KindRollback, V: 1, Rollback: &RollbackRecord{RunIDs: runs}},
			{Kind: KindSeed, V: 1, Seed: &SeedRecord{Entries: entries}},
		}
	}
	return cases
}

func TestEncodeMatchesReflectionEncoder(t *testing.T) {
	t.Parallel()
	for name, recs := range encodeCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			requireSameEncoding(t, recs)
		})
	}
}

func TestEncodeOfSampleRecordsMatchesReflectionEncoder(t *testing.T) {
	t.Parallel()
	for _, recs := range sampleRecords() {
		requireSameEncoding(t, recs)
	}
}

func TestSnapshotEncodingMatchesReflectionEncoder(t *testing.T) {
	t.Parallel()
	for name, recs := range encodeCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, r := range recs {
				if r.Seed != nil {
					requireSameSnapshot(t, snapshot{Thread: name, Seq: uint64(len(name)), V: r.V, State: *r.Seed})
				}
			}
		})
	}
	requireSameSnapshot(t, snapshot{})
}

// TestThreadSnapshotMatchesReflectionEncoder snapshots a thread with forks,
// writes, a rollback and a prune behind it.
func TestThreadSnapshotMatchesReflectionEncoder(t *testing.T) {
	t.Parallel()
	s := newScript(t, "snap")
	a := s.put("", "input", map[string]string{"a": "1", "b": "x"})
	b := s.put(a, "loop", map[string]string{"a": "2"})
	s.put(a, "fork", map[string]string{"b": "y"})
	s.put(b, "loop", map[string]string{"c": "3"})
	s.commit(s.thread.PlanRollback([]string{"nobody"}), nil)
	got, err := s.thread.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	st := snapshot{Thread: s.thread.ID, Seq: s.thread.Seq, V: SchemaVersion, State: *s.thread.seed()}
	st.State.Origin = s.thread.Origin
	want, err := reflectEncode(st)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Snapshot differs from the reflection encoder at byte %d", firstDiff(got, want))
	}
	// AppendEncode writes the same bytes after what dst holds, into dst's
	// memory when it has room.
	dst := append(make([]byte, 0, len(want)+3), "pre"...)
	appended, err := s.thread.Freeze().AppendEncode(dst)
	if err != nil {
		t.Fatal(err)
	}
	if string(appended[:3]) != "pre" || !bytes.Equal(appended[3:], want) {
		t.Fatalf("AppendEncode differs from Snapshot at byte %d", firstDiff(appended[3:], want))
	}
	if &appended[0] != &dst[0] {
		t.Fatal("AppendEncode did not write into dst, which had room")
	}
}

// TestEncodeReportsUnencodableExtra: a metadata value msgpack cannot encode
// is an error, not a panic or a silent drop.
func TestEncodeReportsUnencodableExtra(t *testing.T) {
	t.Parallel()
	recs := []Record{{Kind: KindCheckpoint, V: 1, Checkpoint: &CheckpointRecord{ID: "1", Metadata: MetadataRecord{Extra: map[string]any{"f": func() {}}}}}}
	if _, err := reflectEncode(recs); err == nil {
		t.Fatal("the reflection encoder accepts a func; this test needs a value it refuses")
	}
	if _, err := Encode(recs); err == nil {
		t.Fatal("Encode accepted a func in Extra")
	}
	// the pooled encoder that failed is clean for the next caller
	requireSameEncoding(t, sampleRecords()[0])
}

// TestEncodeDoesNotAliasItsBuffer: payloads outlive the call, so two
// encodings must not share memory.
func TestEncodeDoesNotAliasItsBuffer(t *testing.T) {
	t.Parallel()
	first, err := Encode(sampleRecords()[0])
	if err != nil {
		t.Fatal(err)
	}
	keep := bytes.Clone(first)
	for range 10 {
		if _, err := Encode(sampleRecords()[1]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(first, keep) {
		t.Fatal("a later Encode overwrote an earlier payload")
	}
}
