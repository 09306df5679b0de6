-- The event log. Events are appended and, after a seed or tombstone made
-- older ones unnecessary, dropped from the front of a thread; never updated.
-- The primary key makes a second event at one sequence impossible. Thread
-- ids are bytea in every table: a Go string may hold any bytes, NUL included.
CREATE TABLE IF NOT EXISTS {{schema}}.jetgraph_events (
	thread  bytea  NOT NULL,
	seq     bigint NOT NULL,
	payload bytea  NOT NULL,
	PRIMARY KEY (thread, seq)
);

-- One row per thread holding the sequence of its newest event. Appends are
-- conditional on it (an UPDATE ... WHERE last_seq = expected), which
-- serializes writers of one thread even after old events were dropped.
CREATE TABLE IF NOT EXISTS {{schema}}.jetgraph_threads (
	thread   bytea  NOT NULL PRIMARY KEY,
	last_seq bigint NOT NULL CHECK (last_seq > 0)
);

-- One folded snapshot per thread, replaced by newer ones.
CREATE TABLE IF NOT EXISTS {{schema}}.jetgraph_snapshots (
	thread   bytea  NOT NULL PRIMARY KEY,
	seq      bigint NOT NULL,
	snapshot bytea  NOT NULL
);
