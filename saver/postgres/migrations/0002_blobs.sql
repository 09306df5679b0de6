-- Values kept out of line, keyed within a thread by the hex SHA-256 of
-- their bytes. A blob is written before the event that refers to it and
-- never updated; deleting, pruning or rolling back a thread removes the
-- blobs nothing refers to any more.
CREATE TABLE IF NOT EXISTS {{schema}}.jetgraph_blobs (
	thread bytea NOT NULL,
	key    text  NOT NULL,
	data   bytea NOT NULL,
	PRIMARY KEY (thread, key)
);
