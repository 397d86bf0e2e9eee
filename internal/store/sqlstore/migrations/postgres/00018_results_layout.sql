-- +goose Up
-- results is rebuilt in the layout that costs PostgreSQL the fewest bytes
-- per row. Columns go widest first, so no byte is lost to alignment: the two
-- bigints, the integer, the smallint, then the variable-length reason and
-- detail, which need no alignment while short (a one-byte length). The old
-- order (integer, bigint, smallint, bigint) padded every row by 10 bytes and
-- its tuple by 8 more. Rows are only ever appended and deleted by age, never
-- updated, so table and index keep no free space for updates (fillfactor
-- 100). Rows stay far below the 2 kB at which PostgreSQL compresses or moves
-- a value out of line: reason is NULL for OK results and detail is a few
-- dozen bytes, so TOAST only ever sees an unusually long failure reason.
-- The copy is ordered by monitor and time, so one monitor's history sits on
-- neighbouring pages.
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
ALTER TABLE results ADD CONSTRAINT results_pkey PRIMARY KEY (monitor_key, t) WITH (fillfactor = 100);

-- +goose Down
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
