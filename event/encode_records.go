package event

// The record types by hand. Each struct is a map of its msgpack tags in
// declaration order; an omitempty field is left out when it is "", 0, false,
// a nil pointer or an empty map or slice, and the map's length counts the
// fields written. A field without omitempty writes a nil slice or map as nil.

// records writes recs.
func (e *encoder) records(recs []Record) {
	if recs == nil {
		e.nil()
		return
	}
	e.arrayLen(len(recs))
	for i := range recs {
		e.record(&recs[i])
	}
}

// record writes r.
func (e *encoder) record(r *Record) {
	e.mapLen(2 + count(r.Checkpoint != nil, r.Writes != nil, r.Seed != nil, r.Tombstone != nil, r.Rollback != nil, r.Lease != nil, r.Thread != ""))
	e.str("k")
	e.str(string(r.Kind))
	e.str("v")
	e.int(r.V)
	if r.Checkpoint != nil {
		e.str("cp")
		e.checkpoint(r.Checkpoint)
	}
	if r.Writes != nil {
		e.str("wr")
		e.writes(r.Writes)
	}
	if r.Seed != nil {
		e.str("sd")
		e.seed(r.Seed)
	}
	if r.Tombstone != nil {
		e.str("tb")
		e.mapLen(1)
		e.str("del")
		e.str(r.Tombstone.DeletedThrough)
	}
	if r.Rollback != nil {
		e.str("rb")
		e.mapLen(1)
		e.str("runs")
		e.strings(r.Rollback.RunIDs)
	}
	if r.Lease != nil {
		e.str("ls")
		e.lease(r.Lease)
	}
	if r.Thread != "" {
		e.str("th")
		e.str(r.Thread)
	}
}

func (e *encoder) lease(l *LeaseRecord) {
	e.mapLen(2)
	e.str("run")
	e.str(l.RunID)
	e.str("until")
	e.int64(l.Until)
}

// count counts the fields that are written.
func count(written ...bool) int {
	n := 0
	for _, w := range written {
		if w {
			n++
		}
	}
	return n
}

func (e *encoder) checkpoint(c *CheckpointRecord) {
	e.mapLen(3 + count(c.NS != "", c.ParentID != "", c.ParentThread != "", len(c.Versions) > 0, len(c.VersionsSeen) > 0, len(c.Values) > 0))
	if c.NS != "" {
		e.str("ns")
		e.str(c.NS)
	}
	e.str("id")
	e.str(c.ID)
	if c.ParentID != "" {
		e.str("pid")
		e.str(c.ParentID)
	}
	if c.ParentThread != "" {
		e.str("pth")
		e.str(c.ParentThread)
	}
	e.str("ts")
	e.int64(c.TS)
	if len(c.Versions) > 0 {
		e.str("ver")
		e.versions(c.Versions)
	}
	if len(c.VersionsSeen) > 0 {
		e.str("seen")
		e.seen(c.VersionsSeen)
	}
	e.str("md")
	e.metadata(&c.Metadata)
	if len(c.Values) > 0 {
		e.str("val")
		e.arrayLen(len(c.Values))
		for i := range c.Values {
			e.delta(&c.Values[i])
		}
	}
}

// versions writes v with sorted keys, as Versions.EncodeMsgpack.
func (e *encoder) versions(v Versions) {
	if v == nil {
		e.nil()
		return
	}
	e.mapLen(len(v))
	keys, mark := sortedKeys(e, v)
	for _, k := range keys {
		e.str(k)
		e.uint64(v[k])
	}
	e.popKeys(mark)
}

// seen writes s with sorted keys, as SeenVersions.EncodeMsgpack.
func (e *encoder) seen(s SeenVersions) {
	if s == nil {
		e.nil()
		return
	}
	e.mapLen(len(s))
	keys, mark := sortedKeys(e, s)
	for _, k := range keys {
		e.str(k)
		e.versions(s[k])
	}
	e.popKeys(mark)
}

func (e *encoder) metadata(m *MetadataRecord) {
	e.mapLen(1 + count(m.Source != "", len(m.Parents) > 0, m.RunID != "", len(m.Extra) > 0))
	if m.Source != "" {
		e.str("src")
		e.str(m.Source)
	}
	e.str("step")
	e.int(m.Step)
	if len(m.Parents) > 0 {
		e.str("par")
		e.mapLen(len(m.Parents))
		keys, mark := sortedKeys(e, m.Parents)
		for _, k := range keys {
			e.str(k)
			e.str(m.Parents[k])
		}
		e.popKeys(mark)
	}
	if m.RunID != "" {
		e.str("run")
		e.str(m.RunID)
	}
	if len(m.Extra) > 0 {
		e.str("x")
		e.value(m.Extra)
	}
}

func (e *encoder) delta(d *ChannelDelta) {
	e.mapLen(2 + count(len(d.Data) > 0, d.Blob != "", len(d.Refs) > 0))
	e.str("c")
	e.str(d.Channel)
	e.str("o")
	e.str(string(d.Op))
	if len(d.Data) > 0 {
		e.str("d")
		e.bin(d.Data)
	}
	if d.Blob != "" {
		e.str("b")
		e.str(d.Blob)
	}
	if len(d.Refs) > 0 {
		e.str("w")
		e.arrayLen(len(d.Refs))
		for _, r := range d.Refs {
			e.mapLen(2)
			e.str("t")
			e.str(r.TaskID)
			e.str("i")
			e.int(r.Idx)
		}
	}
}

func (e *encoder) writes(w *WritesRecord) {
	e.mapLen(2 + count(w.NS != ""))
	if w.NS != "" {
		e.str("ns")
		e.str(w.NS)
	}
	e.str("cid")
	e.str(w.CheckpointID)
	e.str("w")
	e.writeList(w.Writes)
}

// writeList writes ws, nil as nil.
func (e *encoder) writeList(ws []WriteRecord) {
	if ws == nil {
		e.nil()
		return
	}
	e.arrayLen(len(ws))
	for i := range ws {
		w := &ws[i]
		e.mapLen(3 + count(len(w.Value) > 0, w.Blob != ""))
		e.str("t")
		e.str(w.TaskID)
		e.str("i")
		e.int(w.Idx)
		e.str("c")
		e.str(w.Channel)
		if len(w.Value) > 0 {
			e.str("v")
			e.bin(w.Value)
		}
		if w.Blob != "" {
			e.str("b")
			e.str(w.Blob)
		}
	}
}

func (e *encoder) seed(s *SeedRecord) {
	e.mapLen(1 + count(s.Origin != nil, s.DeletedThrough != "", s.Lease != nil))
	if o := s.Origin; o != nil {
		e.str("origin")
		e.mapLen(3 + count(o.NS != ""))
		e.str("thread")
		e.str(o.ThreadID)
		if o.NS != "" {
			e.str("ns")
			e.str(o.NS)
		}
		e.str("cid")
		e.str(o.CheckpointID)
		e.str("seq")
		e.uint64(o.Seq)
	}
	if s.DeletedThrough != "" {
		e.str("del")
		e.str(s.DeletedThrough)
	}
	e.str("e")
	if s.Entries == nil {
		e.nil()
	} else {
		e.arrayLen(len(s.Entries))
		for i := range s.Entries {
			e.seedEntry(&s.Entries[i])
		}
	}
	if s.Lease != nil {
		e.str("ls")
		e.lease(s.Lease)
	}
}

func (e *encoder) seedEntry(se *SeedEntry) {
	e.mapLen(1 + count(len(se.Writes) > 0, se.Seq != 0, se.Removed))
	e.str("cp")
	e.checkpoint(&se.Checkpoint)
	if len(se.Writes) > 0 {
		e.str("w")
		e.writeList(se.Writes)
	}
	if se.Seq != 0 {
		e.str("seq")
		e.uint64(se.Seq)
	}
	if se.Removed {
		e.str("rm")
		e.bool(true)
	}
}
