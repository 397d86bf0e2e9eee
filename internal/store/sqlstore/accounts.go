package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// CreateUser stores a new user and returns it with its ID (and CreatedAt,
// when it was zero). A taken name is ECONFLICT.
func (d *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u.Name, u.PasswordHash = strings.TrimSpace(text(u.Name)), text(u.PasswordHash)
	if u.Name == "" {
		return store.User{}, errs.Errorf(errs.EINVALID, "create user: the name is empty")
	}
	if u.Role == "" {
		u.Role = store.RoleViewer
	}
	if !u.Role.Valid() {
		return store.User{}, errs.Errorf(errs.EINVALID, "create user %q: the role must be viewer, responder or admin, not %q", u.Name, u.Role)
	}
	u.OIDCSubject = text(u.OIDCSubject)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = d.now()
	}
	u.CreatedAt = fromMS(ms(u.CreatedAt))
	err := d.write.QueryRowContext(ctx, d.q("INSERT INTO users (name, password_hash, admin, role, oidc_subject, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
		u.Name, u.PasswordHash, u.Role == store.RoleAdmin, string(u.Role), nullText(u.OIDCSubject), ms(u.CreatedAt)).Scan(&u.ID)
	if isUniqueViolation(err) {
		if u.OIDCSubject != "" {
			if _, e := d.UserByOIDCSubject(ctx, u.OIDCSubject); e == nil {
				return store.User{}, errs.Errorf(errs.ECONFLICT, "an account for %q already exists", u.OIDCSubject)
			}
		}
		return store.User{}, errs.Errorf(errs.ECONFLICT, "a user named %q already exists", u.Name)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("create user %q: %w", u.Name, err)
	}
	return u, nil
}

const userCols = "SELECT id, name, password_hash, role, COALESCE(oidc_subject, ''), created_at FROM users "

func scanUser(row rowScanner, what string) (store.User, error) {
	var u store.User
	var created int64
	var role string
	err := row.Scan(&u.ID, &u.Name, &u.PasswordHash, &role, &u.OIDCSubject, &created)
	u.Role = store.Role(role)
	if err == sql.ErrNoRows {
		return store.User{}, errs.Errorf(errs.ENOTFOUND, "%s does not exist", what)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("read %s: %w", what, err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// User returns the user with the given ID, or ENOTFOUND.
func (d *DB) User(ctx context.Context, id int64) (store.User, error) {
	return scanUser(d.read.QueryRowContext(ctx, d.q(userCols+"WHERE id = ?"), id), fmt.Sprintf("user %d", id))
}

// UserByName returns the user with the given name, or ENOTFOUND.
func (d *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	return scanUser(d.read.QueryRowContext(ctx, d.q(userCols+"WHERE name = ?"), text(name)), fmt.Sprintf("user %q", name))
}

// UserByOIDCSubject returns the account an OIDC sign-in made, by
// "ISSUER SUBJECT", or ENOTFOUND.
func (d *DB) UserByOIDCSubject(ctx context.Context, subject string) (store.User, error) {
	return scanUser(d.read.QueryRowContext(ctx, d.q(userCols+"WHERE oidc_subject = ?"), text(subject)), fmt.Sprintf("the account of %q", subject))
}

// SetUserRole changes a user's role; ENOTFOUND when the user does not
// exist, EINVALID for a role that is none.
func (d *DB) SetUserRole(ctx context.Context, userID int64, role store.Role) error {
	if !role.Valid() {
		return errs.Errorf(errs.EINVALID, "set role of user %d: the role must be viewer, responder or admin, not %q", userID, role)
	}
	return d.execOne(ctx, fmt.Sprintf("user %d", userID), "UPDATE users SET role = ?, admin = ? WHERE id = ?", string(role), role == store.RoleAdmin, userID)
}

// SetUserRoleUnlessLastAdmin changes a user's role unless that leaves no
// administrator (ECONFLICT). The count of the other administrators is
// part of the UPDATE: on SQLite the one writer runs it whole; on
// PostgreSQL, where two such statements run at once, it first locks the
// administrators' rows, so the second waits for the first and counts
// without the one it demoted.
func (d *DB) SetUserRoleUnlessLastAdmin(ctx context.Context, userID int64, role store.Role) error {
	if !role.Valid() {
		return errs.Errorf(errs.EINVALID, "set role of user %d: the role must be viewer, responder or admin, not %q", userID, role)
	}
	q := `UPDATE users SET role = ?, admin = ? WHERE id = ?
		AND (? = 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin' AND id <> ?) > 0)`
	if d.postgres {
		q = `WITH admins AS (SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE)
		UPDATE users SET role = ?, admin = ? WHERE id = ?
		AND (? = 'admin' OR (SELECT COUNT(*) FROM admins WHERE id <> ?) > 0)`
	}
	what := fmt.Sprintf("user %d", userID)
	res, err := d.write.ExecContext(ctx, d.q(q), string(role), role == store.RoleAdmin, userID, string(role), userID)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n == 1 {
		return nil
	}
	if _, err := d.User(ctx, userID); err != nil {
		return err
	}
	return errs.Errorf(errs.ECONFLICT, "%s is the last administrator", what)
}

// Users lists every account by name.
func (d *DB) Users(ctx context.Context) ([]store.User, error) {
	rows, err := d.read.QueryContext(ctx, userCols+"ORDER BY name, id")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows, "a user")
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserCount counts users.
func (d *DB) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := d.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash; ENOTFOUND when the user does
// not exist.
func (d *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return d.execOne(ctx, fmt.Sprintf("user %d", userID), "UPDATE users SET password_hash = ? WHERE id = ?", hash, userID)
}

// execOne runs a statement that must change a row; ENOTFOUND names what
// when none matched.
func (d *DB) execOne(ctx context.Context, what, q string, args ...any) error {
	res, err := d.write.ExecContext(ctx, d.q(q), textArgs(args...)...)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n == 0 {
		return errs.Errorf(errs.ENOTFOUND, "%s does not exist", what)
	}
	return nil
}

// CreateSession stores a login. ENOTFOUND when the user does not exist,
// ECONFLICT when the token hash is taken.
func (d *DB) CreateSession(ctx context.Context, s store.Session) error {
	if len(s.TokenHash) == 0 {
		return errs.Errorf(errs.EINVALID, "create session: the token hash is empty")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = d.now()
	}
	res, err := d.write.ExecContext(ctx, d.q("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) SELECT ?, id, ?, ? FROM users WHERE id = ?"),
		s.TokenHash, ms(s.CreatedAt), ms(s.ExpiresAt), s.UserID)
	if isUniqueViolation(err) {
		return errs.Errorf(errs.ECONFLICT, "create session: the token is already in use")
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create session: %w", err)
	} else if n == 0 {
		return errs.Errorf(errs.ENOTFOUND, "create session: user %d does not exist", s.UserID)
	}
	return nil
}

// Session returns the login with the given token hash. An expired session
// is ENOTFOUND, as is an unknown one.
func (d *DB) Session(ctx context.Context, tokenHash []byte) (store.Session, error) {
	s := store.Session{TokenHash: tokenHash}
	var created, expires int64
	err := d.read.QueryRowContext(ctx, d.q("SELECT user_id, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?"),
		tokenHash, ms(d.now())).Scan(&s.UserID, &created, &expires)
	if err == sql.ErrNoRows {
		return store.Session{}, errs.Errorf(errs.ENOTFOUND, "the session does not exist or has expired")
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, nil
}

// DeleteSession ends a login; ENOTFOUND when there was none.
func (d *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return d.execOne(ctx, "session", "DELETE FROM sessions WHERE token_hash = ?", tokenHash)
}

// DeleteExpiredSessions deletes sessions that expired at or before now.
func (d *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.write.ExecContext(ctx, d.q("DELETE FROM sessions WHERE expires_at <= ?"), ms(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// CreateAPIToken stores a token and returns it with its ID. ENOTFOUND when
// the user does not exist; ECONFLICT when the user already has a token of
// that name or the hash is taken.
func (d *DB) CreateAPIToken(ctx context.Context, t store.APIToken) (store.APIToken, error) {
	t.Name, t.Prefix = strings.TrimSpace(text(t.Name)), text(t.Prefix)
	if t.Name == "" {
		return store.APIToken{}, errs.Errorf(errs.EINVALID, "create API token: the name is empty")
	}
	if len(t.TokenHash) == 0 {
		return store.APIToken{}, errs.Errorf(errs.EINVALID, "create API token: the token hash is empty")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = d.now()
	}
	if t.Role != "" && !t.Role.Valid() {
		return store.APIToken{}, errs.Errorf(errs.EINVALID, "create API token %q: the role must be viewer, responder or admin, not %q", t.Name, t.Role)
	}
	t.CreatedAt = fromMS(ms(t.CreatedAt))
	if !t.LastUsedAt.IsZero() {
		t.LastUsedAt = fromMS(ms(t.LastUsedAt))
	}
	err := d.write.QueryRowContext(ctx, d.q("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, last_used_at, role) SELECT id, ?, ?, ?, ?, ?, COALESCE(NULLIF(?, ''), role) FROM users WHERE id = ? RETURNING id, role"),
		t.Name, t.TokenHash, t.Prefix, ms(t.CreatedAt), nullMS(t.LastUsedAt), string(t.Role), t.UserID).Scan(&t.ID, &t.Role)
	if isUniqueViolation(err) {
		return store.APIToken{}, errs.Errorf(errs.ECONFLICT, "an API token named %q already exists", t.Name)
	}
	if err == sql.ErrNoRows {
		return store.APIToken{}, errs.Errorf(errs.ENOTFOUND, "create API token: user %d does not exist", t.UserID)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("create API token %q: %w", t.Name, err)
	}
	return t, nil
}

const tokenCols = "SELECT id, user_id, name, token_hash, prefix, role, created_at, last_used_at FROM api_tokens "

func scanToken(sc interface{ Scan(...any) error }) (store.APIToken, error) {
	var t store.APIToken
	var created int64
	var used sql.NullInt64
	if err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.TokenHash, &t.Prefix, &t.Role, &created, &used); err != nil {
		return store.APIToken{}, err
	}
	t.CreatedAt, t.LastUsedAt = fromMS(created), fromNullMS(used)
	return t, nil
}

// APITokenByHash returns the token with the given hash, or ENOTFOUND.
func (d *DB) APITokenByHash(ctx context.Context, tokenHash []byte) (store.APIToken, error) {
	t, err := scanToken(d.read.QueryRowContext(ctx, d.q(tokenCols+"WHERE token_hash = ?"), tokenHash))
	if err == sql.ErrNoRows {
		return store.APIToken{}, errs.Errorf(errs.ENOTFOUND, "the API token does not exist")
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("read API token: %w", err)
	}
	return t, nil
}

// APITokens lists a user's tokens, oldest first.
func (d *DB) APITokens(ctx context.Context, userID int64) ([]store.APIToken, error) {
	rows, err := d.read.QueryContext(ctx, d.q(tokenCols+"WHERE user_id = ? ORDER BY id"), userID)
	if err != nil {
		return nil, fmt.Errorf("read API tokens: %w", err)
	}
	out := []store.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read API tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken deletes one of a user's tokens; ENOTFOUND when the user
// has no token with that ID.
func (d *DB) DeleteAPIToken(ctx context.Context, userID, id int64) error {
	return d.execOne(ctx, fmt.Sprintf("API token %d", id), "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", id, userID)
}

// TouchAPIToken records when a token was last used; ENOTFOUND when it does
// not exist.
func (d *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return d.execOne(ctx, fmt.Sprintf("API token %d", id), "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", ms(at), id)
}

// nullText is s, or NULL when it is empty.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}
