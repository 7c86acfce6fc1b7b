package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/store"
)

// cliActor is who runs a command on the server's shell: the login name
// (the one sudo was called by, when run with sudo), from "cli@HOST".
func cliActor() audit.Actor {
	name := os.Getenv("SUDO_USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = "unknown"
	}
	src := "cli"
	if h, err := os.Hostname(); err == nil && h != "" {
		src = "cli@" + h
	}
	return audit.Actor{Name: name, Kind: audit.KindCLI, Source: src}
}

// recordCLI writes what a command changed to the audit log of st. The
// change is done: a failure to record it is reported on stderr, it does
// not fail the command.
func recordCLI(st *store.Store, stderr io.Writer, action, target, detail string) {
	l := audit.New(st, nil, slog.New(slog.DiscardHandler))
	if err := l.RecordAs(context.Background(), cliActor(), action, target, detail); err != nil {
		fmt.Fprintf(stderr, "opsdesk: warning: %v\n", err)
	}
}

// recordCLIIn is recordCLI for commands that hold no store open (backup,
// db copy): it opens database for the one record.
func recordCLIIn(database string, stderr io.Writer, action, target, detail string) {
	st, err := store.Open(context.Background(), database)
	if err != nil {
		fmt.Fprintf(stderr, "opsdesk: warning: audit log: %v\n", err)
		return
	}
	defer st.Close()
	recordCLI(st, stderr, action, target, detail)
}
