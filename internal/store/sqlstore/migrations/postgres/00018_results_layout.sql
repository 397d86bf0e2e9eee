-- +goose Up
-- results is rebuilt in the layout that costs PostgreSQL the fewest bytes
-- per row (docs/operations.md, "Storage per result").
--
-- Columns go widest first, so no byte is lost to alignment: the two
-- bigints, the integer, the smallint, then the variable-length reason and
-- detail, which need no alignment while short (a one-byte length). The old
-- order (integer, bigint, smallint, bigint) padded every row by 8 bytes.
--
-- The primary key on (monitor_key, t) cost about 40 bytes a row: a
-- 24-byte entry per result, in pages left half full by results arriving for
-- every monitor at once. The index that replaces it groups a monitor's
-- results by ten-minute slice (t / 600000); PostgreSQL keeps one entry per
-- slice with the list of its rows, 6 bytes each. Reads name the slices
-- next to the time range (sqlstore/results_postgres.go, inSlices). A result's
-- time stays unique per monitor because every insert first takes the one
-- row of result_writes, and the writer checks a time against the stored
-- ones whenever it is not past the monitor's newest (insertResultsPostgres).
--
-- Rows are only ever appended and deleted by age, never updated, so the
-- table keeps no free space for updates (fillfactor 100). Rows stay far
-- below the 2 kB at which PostgreSQL compresses or moves a value out of
-- line: reason is NULL for OK results and detail is a few dozen bytes, so
-- TOAST only ever sees an unusually long failure reason, which it
-- compresses. The copy is ordered by monitor and time, so one monitor's
-- older history sits on neighbouring pages.
CREATE TABLE results_packed (
    t           bigint   NOT NULL,
    duration_us bigint   NOT NULL,
    monitor_key integer  NOT NULL,
    status      smallint NOT NULL,
    reason      text,
    detail      bytea
) WITH (fillfactor = 100);
INSERT INTO results_packed (t, duration_us, monitor_key, status, reason, detail)
    SELECT t, duration_us, monitor_key, status, reason, detail FROM results ORDER BY monitor_key, t;
DROP TABLE results;
ALTER TABLE results_packed RENAME TO results;
CREATE INDEX results_slices ON results (monitor_key, (t / 600000));

-- result_writes is taken (updated) by every transaction that inserts
-- results, so they insert one at a time; n tells a process whether another
-- one wrote results since it last did.
CREATE TABLE result_writes (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    n   bigint  NOT NULL
);
INSERT INTO result_writes (n) VALUES (0);

-- +goose Down
DROP TABLE result_writes;
CREATE TABLE results_wide (
    monitor_key   integer  NOT NULL,
    t             bigint   NOT NULL,
    status        smallint NOT NULL,
    duration_us   bigint   NOT NULL,
    reason        text,
    detail        bytea
);
INSERT INTO results_wide (monitor_key, t, status, duration_us, reason, detail)
    SELECT monitor_key, t, status, duration_us, reason, detail FROM results;
DROP TABLE results;
ALTER TABLE results_wide RENAME TO results;
ALTER TABLE results ADD CONSTRAINT results_pkey PRIMARY KEY (monitor_key, t);
