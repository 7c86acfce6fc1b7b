// Package storetest gives tests a freshly migrated store on each engine:
// a temporary SQLite file, or a PostgreSQL database created for the test and
// dropped when it ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdesk/opsdesk/internal/store"
)

// Engines are the engines every store-backed test runs against. PostgreSQL
// is always included: CI provides it at OPSDESK_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test). A test run without it fails
// loudly rather than silently testing one engine.
func Engines() []string { return []string{store.SQLite, store.Postgres} }

// AdminURL is the PostgreSQL server tests create their databases on.
func AdminURL() string {
	if v := os.Getenv("OPSDESK_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// DatabaseURL returns the database setting for a new, empty database of the
// engine, and registers its removal with t.Cleanup. It does not open it.
func DatabaseURL(t testing.TB, engine string) string {
	t.Helper()
	if engine == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "opsdesk.db")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "opsdesk_t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("storetest: PostgreSQL is required for the %s tests (set OPSDESK_TEST_POSTGRES): %v", engine, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// New opens and migrates a fresh store of the engine; it is closed when the
// test ends.
func New(t testing.TB, engine string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, DatabaseURL(t, engine))
	if err != nil {
		t.Fatalf("storetest: open %s: %v", engine, err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", engine, err)
	}
	return st
}

// Each runs fn as a subtest per engine.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, e := range Engines() {
		t.Run(e, func(t *testing.T) {
			fn(t, New(t, e))
		})
	}
}
