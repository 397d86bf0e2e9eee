-- +goose Up
-- result_packs holds the results of closed ten-minute slices, one row per
-- monitor and slice (docs/operations.md, "Storage per result"): a row of
-- results costs PostgreSQL 28 bytes of header and line pointer before its
-- first value, more than a result without detail needs. Compaction
-- (sqlstore/compact.go) moves a closed slice's rows into its pack, and
-- merges late results into the pack later; the open slice stays in
-- results. data is the encoding of sqlstore/pack.go; n and failed count
-- its results and its failed ones, so uptime over whole slices reads no
-- data.
--
-- A pack is rewritten only when a late result joins it or a prune cuts
-- through it, so the table keeps no free space for updates. A pack of a
-- monitor checked every 10 s with HTTPS detail is about 1.7 kB; larger ones
-- (more detail, long failure reasons) are compressed by TOAST.
CREATE TABLE result_packs (
    monitor_key integer NOT NULL,
    slice       integer NOT NULL,
    n           integer NOT NULL,
    failed      integer NOT NULL,
    data        bytea   NOT NULL,
    PRIMARY KEY (monitor_key, slice)
) WITH (fillfactor = 100);

-- +goose Down
-- Packed results cannot be unpacked in SQL: going back would lose them.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM result_packs) THEN
        RAISE EXCEPTION 'result_packs holds packed results that this version cannot read; downgrade only after pruning them';
    END IF;
END $$;
-- +goose StatementEnd
DROP TABLE result_packs;
