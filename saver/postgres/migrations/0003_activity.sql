-- When each thread was last appended to, for retention (eventstore.Retention):
-- a trigger stamps the head row whenever an append moves last_seq on, so the
-- time commits with the append whichever process or version wrote it. It is
-- the database's clock. Rows that existed before get the time of this
-- migration: they expire a TTL after it at the latest, never early. The
-- sweeper sets touched_at to NULL once a thread's newest event is its
-- tombstone (nothing left to expire) and the next append stamps it again.
-- There is deliberately no index on touched_at: every append updates it,
-- and an index would cost every append its heap-only update; a sweep reads
-- the table, one row per thread.
ALTER TABLE {{schema}}.jetgraph_threads ADD COLUMN touched_at timestamptz DEFAULT now();

CREATE FUNCTION {{schema}}.jetgraph_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.last_seq IS DISTINCT FROM OLD.last_seq THEN
		NEW.touched_at := clock_timestamp();
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER jetgraph_touch BEFORE INSERT OR UPDATE ON {{schema}}.jetgraph_threads
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.jetgraph_touch();
