package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
)

// stringList is a repeatable string flag (--match env=prod --match job=db).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// maintenanceCmd is "opsdesk maintenance add|list|end": maintenance
// windows from the server's shell (docs/alerts.md, "Maintenance windows").
func maintenanceCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"maintenance needs a subcommand: " + strings.Join(subcommands("maintenance"), ", ")}
	}
	fs, cfgFile := flags("maintenance " + args[0])
	var (
		name, zone, severities *string
		escalate, all          *bool
		start                  *string
		matchers               stringList
	)
	switch args[0] {
	case "add":
		name = fs.String("name", "", "call the window `NAME` (default: maintenance of SYSTEM)")
		start = fs.String("start", "", "start at `TIME` (RFC 3339, or \"2026-12-08 01:00\" in --time-zone; default now)")
		zone = fs.String("time-zone", "UTC", "read --start in `ZONE` (an IANA name such as Asia/Tokyo)")
		severities = fs.String("severities", "", "cover only these `LIST` of severities (critical,warning,info,unspecified)")
		escalate = fs.Bool("escalate-at-end", false, "escalate the alerts still open when the window ends")
		fs.Var(&matchers, "match", "cover only alerts whose labels match `MATCHER` (env=prod, job=~db.*; repeatable)")
	case "list":
		all = fs.Bool("all", false, "list ended windows too")
	case "end":
	default:
		return usageError{fmt.Sprintf("unknown maintenance subcommand %q (%s)", args[0], strings.Join(subcommands("maintenance"), ", "))}
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"add": 2, "list": 0, "end": 1}[args[0]]
	if len(pos) != want {
		return usageError{fmt.Sprintf("maintenance %s takes %d argument(s), got %d", args[0], want, len(pos))}
	}
	ctx := context.Background()
	st, _, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := alerts.New(st, alerts.Options{Log: slog.New(slog.DiscardHandler)})
	by := cliActor().Name + " (cli)"
	switch args[0] {
	case "add":
		d, err := time.ParseDuration(pos[1])
		if err != nil || d <= 0 {
			return usageError{fmt.Sprintf("%q is not a duration such as 2h or 90m", pos[1])}
		}
		loc, err := time.LoadLocation(*zone)
		if err != nil {
			return usageError{fmt.Sprintf("--time-zone: %q is not an IANA time zone", *zone)}
		}
		from := time.Now()
		if *start != "" {
			if from, err = time.Parse(time.RFC3339, *start); err != nil {
				if from, err = time.ParseInLocation("2006-01-02 15:04", *start, loc); err != nil {
					return usageError{fmt.Sprintf("--start: %q is not RFC 3339 or \"2006-01-02 15:04\"", *start)}
				}
			}
		}
		w := alerts.Window{Name: *name, System: pos[0], Matchers: matchers, Start: from, End: from.Add(d), TimeZone: *zone, EscalateAtEnd: *escalate}
		if w.Name == "" {
			w.Name = "maintenance of " + pos[0]
		}
		if *severities != "" {
			w.Severities = strings.Split(*severities, ",")
		}
		out, err := svc.CreateWindow(ctx, w, by)
		if err != nil {
			return err
		}
		recordCLI(st, stderr, "maintenance.create", "maintenance window "+out.Name, fmt.Sprintf("%s to %s", out.Start.Format(time.RFC3339), out.End.Format(time.RFC3339)))
		fmt.Fprintf(stdout, "maintenance window #%d %q: %s from %s until %s\n", out.ID, out.Name, out.System,
			out.Start.In(loc).Format("2006-01-02 15:04 MST"), out.End.In(loc).Format("2006-01-02 15:04 MST"))
		return nil
	case "list":
		ws, err := svc.Windows(ctx, *all)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			fmt.Fprintln(stdout, "no maintenance windows")
		}
		for _, w := range ws {
			sys := w.System
			if sys == "" {
				sys = "(every system)"
			}
			extra := ""
			if w.Weekly {
				extra += " weekly"
			}
			if w.EscalateAtEnd {
				extra += " escalate-at-end"
			}
			if !w.EndedAt.IsZero() {
				extra += " ended " + w.EndedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "#%-5d %-24q %-16s %s → %s %s%s\n", w.ID, w.Name, sys, w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339),
				strings.Join(w.Matchers, " "), extra)
		}
		return nil
	default: // end
		id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("%q is not a window id", pos[0])}
		}
		if err := svc.EndWindow(ctx, id, by); err != nil {
			if err == alerts.ErrNotFound {
				return fmt.Errorf("no maintenance window #%d in force", id)
			}
			return err
		}
		recordCLI(st, stderr, "maintenance.end", fmt.Sprintf("maintenance window #%d", id), "")
		fmt.Fprintf(stdout, "maintenance window #%d ended\n", id)
		return nil
	}
}
