-- +goose Up
-- Every user and API token has a role: viewer, responder or admin. The
-- users and tokens made before roles existed were all administrators, and
-- stay so. oidc_subject ties an account made by an OIDC sign-in to its
-- issuer and subject ("ISSUER SUBJECT"); it is NULL for local accounts.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject);
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';

-- +goose Down
DROP INDEX users_oidc_subject;
ALTER TABLE api_tokens DROP COLUMN role;
ALTER TABLE users DROP COLUMN oidc_subject;
ALTER TABLE users DROP COLUMN role;
