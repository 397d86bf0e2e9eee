package sqlstore

import (
	"context"
	"database/sql"
)

// preparedTx runs a transaction's statements prepared once each. A batch
// applying hundreds of alert changes runs the same dozen statements
// hundreds of times, and SQLite's driver parses a statement on every call:
// in an alert storm that parsing was a tenth of the process's CPU. On
// PostgreSQL the driver already keeps prepared statements per connection,
// and preparing here would add round trips, so there the wrapper only
// passes the calls through.
type preparedTx struct {
	tx    *sql.Tx
	on    bool
	stmts map[string]*sql.Stmt
}

func (d *DB) prepared(tx *sql.Tx) *preparedTx {
	return &preparedTx{tx: tx, on: !d.postgres}
}

// stmt returns query prepared on the transaction, or nil when it is not to
// be (or cannot be: the plain call then reports why).
func (p *preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if !p.on {
		return nil
	}
	if s, ok := p.stmts[query]; ok {
		return s
	}
	s, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[query] = s
	return s
}

func (p *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

func (p *preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p *preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}

// Close closes the statements; the transaction stays the caller's.
func (p *preparedTx) Close() {
	for _, s := range p.stmts {
		s.Close()
	}
	p.stmts = nil
}
