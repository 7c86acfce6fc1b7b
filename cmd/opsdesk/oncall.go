package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opsdesk/opsdesk/internal/oncall"
)

// maxOnCallDays bounds --days.
const maxOnCallDays = 366

// oncallCmd prints who is on call in the schedules of the database (with the config's
// oncall.schedules seeded first, as opsdesk serve does at start): now and next for every
// schedule, or one schedule's shifts for the next --days days. Times are in each schedule's
// zone.
func oncallCmd(args []string, stdout io.Writer) error {
	fs, cfgFile := flags("oncall")
	at := fs.String("at", "", "answer at `TIME` instead of now: RFC 3339, or local \"2026-03-10 09:00\" in the schedule's zone")
	days := fs.Int("days", 0, "list one SCHEDULE's shifts for `N` days (default 7 when SCHEDULE is given)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"oncall takes at most one SCHEDULE"}
	}
	if *days < 0 || *days > maxOnCallDays {
		return usageError{fmt.Sprintf("--days must be from 1 to %d", maxOnCallDays)}
	}
	if *days != 0 && len(pos) == 0 {
		return usageError{"--days needs a SCHEDULE"}
	}
	st, cfg, err := openStore(*cfgFile)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	svc := oncall.New(st, oncall.Options{})
	if _, err := svc.SeedSchedules(ctx, cfg.OnCall.Parsed()); err != nil {
		return err
	}
	schedules, err := svc.Schedules(ctx)
	if err != nil {
		return err
	}
	if len(schedules) == 0 {
		fmt.Fprintln(stdout, "no on-call schedules (add one in the console under On-call, or under oncall.schedules in the config; docs/oncall.md)")
		return nil
	}
	now := time.Now().Truncate(time.Second)
	when := func(s *oncall.Schedule) (time.Time, error) {
		if *at == "" {
			return now, nil
		}
		return parseAt(*at, s.TimeZone)
	}
	if len(pos) == 0 {
		return oncallNow(stdout, schedules, when)
	}
	var s *oncall.Schedule
	for _, x := range schedules {
		if x.Name == pos[0] {
			s = x
		}
	}
	if s == nil {
		return fmt.Errorf("no on-call schedule is named %q (%s)", pos[0], scheduleNames(schedules))
	}
	from, err := when(s)
	if err != nil {
		return err
	}
	if *days == 0 {
		*days = 7
	}
	return oncallShifts(stdout, s, from, *days)
}

func scheduleNames(schedules []*oncall.Schedule) string {
	var names []string
	for _, s := range schedules {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// parseAt reads --at: RFC 3339, or local time in loc.
func parseAt(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("--at: %q is neither RFC 3339 nor local time such as \"2026-03-10 09:00\"", v)}
}

// clock formats t in loc with the zone's abbreviation: "Tue 2026-03-10 09:00 JST".
func clock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2006-01-02 15:04 MST")
}

func oncallNow(stdout io.Writer, schedules []*oncall.Schedule, when func(*oncall.Schedule) (time.Time, error)) error {
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SCHEDULE\tON CALL\tLAYER\tUNTIL\tNEXT")
	for _, s := range schedules {
		t, err := when(s)
		if err != nil {
			return err
		}
		who, layer, until := oncall.OnCall(s, t)
		if who == "" {
			who, layer = "(nobody)", "-"
		}
		if layer == "" {
			layer = "(override)"
		}
		u := "-"
		if !until.IsZero() {
			u = clock(until, s.TimeZone)
		}
		next := "-"
		if nw, nl, start, _, ok := oncall.Next(s, t); ok {
			if nl == "" {
				nl = "override"
			}
			next = fmt.Sprintf("%s (%s) from %s", nw, nl, clock(start, s.TimeZone))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, who, layer, u, next)
	}
	return w.Flush()
}

func oncallShifts(stdout io.Writer, s *oncall.Schedule, from time.Time, days int) error {
	to := from.In(s.TimeZone).AddDate(0, 0, days)
	fmt.Fprintf(stdout, "%s (%s), %s to %s\n", s.Name, s.TimeZone, clock(from, s.TimeZone), clock(to, s.TimeZone))
	shifts := oncall.Shifts(s, from, to)
	if len(shifts) == 0 {
		fmt.Fprintln(stdout, "nobody is on call in this time")
		return nil
	}
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FROM\tTO\tON CALL\tLAYER\t")
	for _, sh := range shifts {
		layer := sh.Layer
		if layer == "" {
			layer = "-"
		}
		note := ""
		if sh.Override {
			note = "override"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", clock(sh.Start, s.TimeZone), clock(sh.End, s.TimeZone), sh.Who, layer, note)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// The note column is mostly empty: no trailing blanks.
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l != "" {
			fmt.Fprintln(stdout, strings.TrimRight(l, " \n"))
		}
	}
	return nil
}
