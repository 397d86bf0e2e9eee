-- +goose Up
-- PostgreSQL's results table changes layout in this version (see
-- migrations/postgres/00018_results_layout.sql). SQLite's, a WITHOUT ROWID
-- table of varints, already stores a result in the fewest bytes, so it
-- stays as it is; this file keeps the two databases' versions in step.
SELECT 1;

-- +goose Down
SELECT 1;
