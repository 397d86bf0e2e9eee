package benchkit

import (
	"context"
	"log"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// CreateDatabase creates the database name on the PostgreSQL server of
// admin, dropping what a previous run left, and returns its DSN; it ends
// the program when it cannot.
func CreateDatabase(admin, name string) string {
	DropDatabase(admin, name)
	Exec(admin, "CREATE DATABASE "+name)
	u, err := url.Parse(admin)
	if err != nil {
		log.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// DropDatabase drops the database name, ending the sessions still on it.
func DropDatabase(admin, name string) {
	Exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// Exec runs one statement on its own connection; it ends the program when
// the statement fails.
func Exec(dsn, stmt string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		log.Fatalf("%s: %v", stmt, err)
	}
}
