package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/opsdesk/opsdesk/internal/audit"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/store"
)

// cliContext is the context of a command that changes users or tokens:
// the audit log records it as the operating-system user who ran it
// (kind cli, source "cli"), or "cli" when that user is unknown.
func cliContext() context.Context {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = "cli"
	}
	return audit.WithActor(context.Background(), audit.Actor{Name: name, Kind: audit.KindCLI, Source: "cli"})
}

// authService is the auth service of the CLI, recording into the audit log.
func authService(st *store.Store) *auth.Service {
	svc := auth.New(st, nil)
	svc.Audit = audit.New(st, nil, nil)
	return svc
}

// readPassword reads a new password the one way both "users add" and
// "users passwd" do: typed twice without echo when stdin is a terminal,
// else one line of standard input (--password-stdin forces that at a
// terminal too). Prompts go to stderr, so stdout stays the command's
// answer.
func readPassword(stdin io.Reader, stderr io.Writer, user string, fromStdin bool) (string, error) {
	if f, ok := stdin.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "New password for %s (at least %d characters): ", user, auth.MinPasswordLength)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{"no password on standard input: type it at a terminal, pipe one line in, or use --generate for a one-time password"}
	}
	return pw, nil
}

func printOneTime(w io.Writer, user, pw string) {
	fmt.Fprintf(w, "\n    %s\n\nThis one-time password is shown once. It must be changed at the first login and\nexpires in %d hours; opsdesk users passwd %s sets a new one.\n", pw, int(auth.OneTimeValidity.Hours()), user)
}

func users(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"users needs a subcommand: " + strings.Join(subcommands("users"), ", ")}
	}
	fs, cfgFile := flags("users " + args[0])
	var role *string
	var generate, fromStdin *bool
	switch args[0] {
	case "add":
		role = fs.String("role", "", "the user's `ROLE`: "+strings.Join(auth.Roles, ", "))
		fallthrough
	case "passwd":
		generate = fs.Bool("generate", false, "make a one-time password and print it, instead of reading one")
		fromStdin = fs.Bool("password-stdin", false, "read the password from standard input even at a terminal")
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	ctx := cliContext()
	switch args[0] {
	case "role", "disable", "enable", "delete":
		return userChange(ctx, args[0], pos, *cfgFile, stdout)
	case "add", "passwd":
		if len(pos) != 1 {
			return usageError{fmt.Sprintf("users %s needs exactly one NAME", args[0])}
		}
		name := pos[0]
		if role != nil && !auth.ValidRole(*role) {
			return usageError{fmt.Sprintf("--role must be one of %s (got %q)", strings.Join(auth.Roles, ", "), *role)}
		}
		if *generate && *fromStdin {
			return usageError{"--generate and --password-stdin exclude each other"}
		}
		pw := ""
		if !*generate {
			// Asked before the database is opened: a wrong second typing
			// costs nothing.
			if pw, err = readPassword(stdin, stderr, name, *fromStdin); err != nil {
				return err
			}
			if err := auth.ValidatePassword(pw); err != nil {
				return err
			}
		}
		st, _, err := openStore(*cfgFile)
		if err != nil {
			return err
		}
		defer st.Close()
		svc := authService(st)
		if args[0] == "add" {
			if *generate {
				_, pw, err := svc.AddUserGenerated(ctx, name, *role)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "added user %s (%s) with a one-time password:\n", name, *role)
				printOneTime(stdout, name, pw)
				return nil
			}
			if _, err := svc.AddUser(ctx, name, *role, pw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added user %s (%s)\n", name, *role)
			return nil
		}
		if *generate {
			pw, err := svc.ResetPassword(ctx, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s has a new one-time password (their sessions were ended):\n", name)
			printOneTime(stdout, name, pw)
			return nil
		}
		if err := svc.SetPassword(ctx, name, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions were ended\n", name)
		return nil
	case "list":
		if len(pos) != 0 {
			return usageError{"users list takes no arguments"}
		}
		st, _, err := openStore(*cfgFile)
		if err != nil {
			return err
		}
		defer st.Close()
		us, err := auth.New(st, nil).ListUsers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tSTATE\tCREATED\tLAST LOGIN\tPASSWORD")
		for _, u := range us {
			pw := "set"
			if u.MustChangePassword() {
				pw = "one-time, until " + u.PasswordExpiresAt.Format(time.RFC3339)
			}
			state, last := "enabled", "never"
			if u.Disabled {
				state = "disabled"
			}
			if !u.LastLoginAt.IsZero() {
				last = u.LastLoginAt.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, state, u.CreatedAt.Format(time.RFC3339), last, pw)
		}
		return w.Flush()
	}
	return usageError{fmt.Sprintf("unknown users subcommand %q (%s)", args[0], strings.Join(subcommands("users"), ", "))}
}

// userChange is users role|disable|enable|delete. The last enabled admin
// is kept, as in the console.
func userChange(ctx context.Context, sub string, pos []string, cfgFile string, stdout io.Writer) error {
	want := 1
	if sub == "role" {
		want = 2
	}
	if len(pos) != want {
		if sub == "role" {
			return usageError{"users role needs a NAME and a ROLE (" + strings.Join(auth.Roles, ", ") + ")"}
		}
		return usageError{fmt.Sprintf("users %s needs exactly one NAME", sub)}
	}
	name := pos[0]
	if sub == "role" && !auth.ValidRole(pos[1]) {
		return usageError{fmt.Sprintf("ROLE must be one of %s (got %q)", strings.Join(auth.Roles, ", "), pos[1])}
	}
	st, _, err := openStore(cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := authService(st)
	switch sub {
	case "role":
		if err := svc.SetRole(ctx, name, pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is now %s\n", name, pos[1])
	case "disable":
		if err := svc.SetDisabled(ctx, name, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled user %s; their sessions were ended\n", name)
	case "enable":
		if err := svc.SetDisabled(ctx, name, false); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enabled user %s\n", name)
	case "delete":
		if err := svc.DeleteUser(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted user %s\n", name)
	}
	return nil
}

// listFlag is a flag that may be repeated.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func tokens(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"tokens needs a subcommand: " + strings.Join(subcommands("tokens"), ", ")}
	}
	fs, cfgFile := flags("tokens " + args[0])
	var name *string
	var scopes listFlag
	if args[0] == "create" {
		name = fs.String("name", "", "token `NAME`: the sending system or script, e.g. zabbix")
		fs.Var(&scopes, "scope", "what the token may do, a `SCOPE` (repeat, or separate with commas): "+strings.Join(auth.ScopeNames(), ", "))
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if *name == "" && len(pos) == 1 {
			*name = pos[0]
		} else if len(pos) > 0 {
			return usageError{fmt.Sprintf("tokens create takes no arguments besides --name (got %q)", pos)}
		}
		if *name == "" {
			return usageError{"tokens create needs --name NAME (the sending system or script)"}
		}
		if len(scopes) == 0 {
			// No default: what a token may do is chosen, not inherited.
			return usageError{"tokens create needs --scope: what the token may do. Scopes:\n" + strings.TrimRight(scopeList(), "\n")}
		}
		sc, err := auth.ParseScopes(scopes...)
		if err != nil {
			return usageError{message(err)}
		}
		st, cfg, err := openStore(*cfgFile)
		if err != nil {
			return err
		}
		defer st.Close()
		tok, err := authService(st).CreateToken(cliContext(), *name, sc...)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		tokenUsage(stderr, cfg, *name, sc)
		return nil
	case "list", "revoke":
	default:
		return usageError{fmt.Sprintf("unknown tokens subcommand %q (%s)", args[0], strings.Join(subcommands("tokens"), ", "))}
	}
	if args[0] == "revoke" && len(pos) != 1 {
		return usageError{"tokens revoke needs exactly one NAME"}
	}
	if args[0] == "list" && len(pos) != 0 {
		return usageError{"tokens list takes no arguments"}
	}
	st, _, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := authService(st)
	ctx := cliContext()
	if args[0] == "revoke" {
		if err := svc.RevokeToken(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s\n", pos[0])
		return nil
	}
	ts, err := svc.ListTokens(ctx)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		fmt.Fprintln(stdout, "no tokens (make one with: opsdesk tokens create --name NAME --scope SCOPE)")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSCOPES\tCREATED\tLAST USED")
	for _, t := range ts {
		last := "never"
		if !t.LastUsedAt.IsZero() {
			last = t.LastUsedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Scopes, ","), t.CreatedAt.Format(time.RFC3339), last)
	}
	return w.Flush()
}

// tokenUsage tells how to use a new token: one example per scope, with
// $TOKEN standing for it (the token itself is printed once, on stdout).
func tokenUsage(w io.Writer, cfg *config.Config, name string, scopes []string) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = "http://" + cfg.Addr
	}
	fmt.Fprintf(w, "\nThat is the API token %q (scopes: %s), shown only this once: opsdesk keeps its hash.\nSend it as Authorization: Bearer TOKEN. With TOKEN=<the token above>:\n\n", name, strings.Join(scopes, ", "))
	hdr := `-H "Authorization: Bearer $TOKEN"`
	for _, s := range scopes {
		switch s {
		case auth.ScopeIngestAlerts:
			fmt.Fprintf(w, "  # post an alert (system XYZ; Zabbix, Nagios, Alertmanager and CloudWatch have endpoints of their own, docs/alerts.md)\n")
			fmt.Fprintf(w, "  curl -X POST %s/api/v1/alerts %s -H 'Content-Type: application/json' \\\n    -d '{\"system\":\"XYZ\",\"summary\":\"test alert\",\"severity\":\"warning\"}'\n", base, hdr)
			fmt.Fprintf(w, "  # senders that cannot set headers may put it in the URL (ingest endpoints only):\n  #   %s/api/v1/alerts/zabbix?token=$TOKEN\n", base)
		case auth.ScopeIngestEvents:
			fmt.Fprintf(w, "  # post an AWS event (docs/events.md)\n")
			fmt.Fprintf(w, "  opsdesk events sample s3-put | curl -X POST %s/api/v1/events %s -H 'Content-Type: application/json' --data-binary @-\n", base, hdr)
			fmt.Fprintf(w, "  # an SNS subscription that cannot set headers puts it in the URL: %s/api/v1/events?token=$TOKEN\n", base)
		case auth.ScopeReadCases:
			fmt.Fprintf(w, "  # search the Support case archive\n  curl %s '%s/api/v1/cases?q=EC2&limit=10'\n", hdr, base)
		case auth.ScopeReadAlerts:
			fmt.Fprintf(w, "  # list the open and acknowledged alerts\n  curl %s '%s/api/v1/alerts?status=active'\n", hdr, base)
		case auth.ScopeActAlerts:
			fmt.Fprintf(w, "  # acknowledge alert 12 in someone's name\n  curl -X POST %s/api/v1/alerts/12/ack %s -H 'Content-Type: application/json' -d '{\"by\":\"sato\"}'\n", base, hdr)
		case auth.ScopeAdmin:
			fmt.Fprintf(w, "  # admin may use every route, always with the header (never ?token=)\n  curl %s '%s/api/v1/alerts?status=active'\n", hdr, base)
		}
	}
}
