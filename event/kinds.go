package event

// Kinds lists every record kind this build reads. Code that switches over
// kinds (the fold, the decoder's checks, the encoder, the audit command)
// is tested against this list with a Sample of each, so a kind added here
// and forgotten in a switch fails a test; a kind added elsewhere and not
// here fails TestKindsListsEveryKind.
var Kinds = []Kind{KindCheckpoint, KindWrites, KindSeed, KindTombstone, KindRollback, KindLease}

// Sample returns a small valid record of kind k, with its body set, for
// tests of code that switches over kinds. It panics for a kind not in
// Kinds.
func Sample(k Kind) Record {
	r := Record{Kind: k, V: SchemaVersion}
	switch k {
	case KindCheckpoint:
		r.Checkpoint = &CheckpointRecord{ID: "c1", TS: 1, Metadata: MetadataRecord{Source: "input", Step: -1},
			Values: []ChannelDelta{{Channel: "v", Op: OpSet, Data: []byte("1")}}}
	case KindWrites:
		r.Writes = &WritesRecord{CheckpointID: "c1", Writes: []WriteRecord{{TaskID: "t", Channel: "v", Value: []byte("2")}}}
	case KindSeed:
		r.Seed = &SeedRecord{Entries: []SeedEntry{{Checkpoint: CheckpointRecord{ID: "c1", TS: 1}}}}
	case KindTombstone:
		r.Tombstone = &TombstoneRecord{DeletedThrough: "c1"}
	case KindRollback:
		r.Rollback = &RollbackRecord{RunIDs: []string{"r1"}}
	case KindLease:
		r.Lease = &LeaseRecord{RunID: "r1", Until: 1}
	default:
		panic("event.Sample: unknown kind " + string(k))
	}
	return r
}
