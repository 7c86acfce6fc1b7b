package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/oncall"
)

// On-call schedules (issue 12): the list with who is on call now and next, one schedule's
// calendar of the coming two weeks (a timeline per day, CSS only), "cover this shift",
// overrides, the rotation editor and the iCal feed URLs. Reading needs a login; overrides
// and feeds need accessWriter; editing rotations and deleting schedules accessAdmin.
//
// The feeds themselves (GET /oncall/feeds/{token}.ics) are served by the app's on-call
// module: no login, the token is the secret. No console GET route here has three path
// segments, so none competes with that pattern.
func (h *Handler) oncallRoutes(mux *http.ServeMux) {
	if h.oncall == nil {
		return
	}
	mux.Handle("GET /oncall", h.route(accessMember, h.oncallList))
	mux.Handle("POST /oncall", h.route(accessAdmin, h.oncallCreate))
	mux.Handle("POST /oncall/feeds", h.route(accessWriter, h.oncallUserFeed))
	mux.Handle("POST /oncall/feeds/{id}/revoke", h.route(accessWriter, h.oncallFeedRevoke))
	mux.Handle("GET /oncall/{schedule}", h.route(accessMember, h.oncallSchedule))
	mux.Handle("POST /oncall/{schedule}/layers", h.route(accessAdmin, h.oncallSaveLayers))
	mux.Handle("POST /oncall/{schedule}/delete", h.route(accessAdmin, h.oncallDelete))
	mux.Handle("POST /oncall/{schedule}/overrides", h.route(accessWriter, h.oncallAddOverride))
	mux.Handle("POST /oncall/{schedule}/overrides/{id}/delete", h.route(accessWriter, h.oncallDeleteOverride))
	mux.Handle("POST /oncall/{schedule}/feeds", h.route(accessWriter, h.oncallScheduleFeed))
}

// OnCallService is what the on-call pages need of oncall.Service.
type OnCallService interface {
	List(ctx context.Context) ([]*oncall.Stored, error)
	Stored(ctx context.Context, name string) (*oncall.Stored, error)
	Schedule(ctx context.Context, name string) (*oncall.Schedule, error)
	SaveSchedule(ctx context.Context, s *oncall.Schedule, by string) error
	DeleteSchedule(ctx context.Context, name string) error
	AddOverride(ctx context.Context, schedule string, o oncall.Override, note, by string) (int64, error)
	DeleteOverride(ctx context.Context, schedule string, id int64) error
	CreateFeed(ctx context.Context, schedule, user, by string) (*oncall.Feed, string, error)
	Feed(ctx context.Context, id int64) (*oncall.Feed, error)
	Feeds(ctx context.Context, f oncall.FeedFilter) ([]*oncall.Feed, error)
	RevokeFeed(ctx context.Context, id int64) error
}

func oncallURL(name string) string { return "/oncall/" + url.PathEscape(name) }

// oncallNotices are the ?done= values the on-call pages show a notice for.
var oncallNotices = []string{"created", "saved", "deleted", "override_added", "override_deleted", "feed_revoked"}

func oncallNotice(p *page, r *http.Request) {
	if k := r.URL.Query().Get("done"); slices.Contains(oncallNotices, k) {
		p.Notice = p.T("oncall.done." + k)
	}
}

// schedClock writes t in the schedule's zone with the zone's abbreviation.
func schedClock(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return t.Format("Mon 01-02 15:04") + " " + zoneLabel(t)
}

type oncallRow struct {
	Name, URL, Zone     string
	Now, Layer, Until   string
	Next, NextLayer     string
	NextStart, Origin   string
	Nobody, NobodyLater bool
}

type oncallListData struct {
	Rows      []oncallRow
	CanAdmin  bool
	CanWrite  bool
	Example   string
	Zone      string
	UserFeeds []feedRow
	// NewFeed is the URL of the feed just created (shown once).
	NewFeed string
	Form    newScheduleForm
	Err     string
}

type newScheduleForm struct {
	Name, Zone, Participants, Shift, HandOff string
}

type feedRow struct {
	ID        int64
	What      string
	CreatedBy string
	CreatedAt time.Time
}

const oncallExample = `oncall:
  schedules:
    - name: platform
      time_zone: Asia/Tokyo
      layers:
        - name: weekly
          participants: [sato, suzuki, lee]
          shift: 1w
          hand_off: "2026-01-05 09:00"`

func (h *Handler) oncallList(w http.ResponseWriter, r *http.Request, p *page) {
	h.renderOncallList(w, r, p, http.StatusOK, newScheduleForm{Zone: h.loc.String(), Shift: "1w"}, "", "")
}

func (h *Handler) renderOncallList(w http.ResponseWriter, r *http.Request, p *page, status int, form newScheduleForm, errText, newFeed string) {
	p.Title, p.Nav = p.T("oncall.title"), "oncall"
	oncallNotice(p, r)
	ctx := r.Context()
	all, err := h.oncall.List(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	now := h.now()
	d := oncallListData{CanAdmin: p.User.CanAdmin(), CanWrite: p.User.CanWrite(), Example: oncallExample, Form: form, Err: errText, NewFeed: newFeed}
	for _, st := range all {
		s := st.Schedule
		row := oncallRow{Name: s.Name, URL: oncallURL(s.Name), Zone: s.TimeZone.String(), Origin: p.T("oncall.origin." + st.Origin)}
		if who, layer, until := oncall.OnCall(s, now); who != "" {
			row.Now, row.Layer, row.Until = who, layer, schedClock(until, s.TimeZone)
		} else {
			row.Nobody = true
		}
		if who, layer, start, _, ok := oncall.Next(s, now); ok {
			row.Next, row.NextLayer, row.NextStart = who, layer, schedClock(start, s.TimeZone)
		} else {
			row.NobodyLater = true
		}
		d.Rows = append(d.Rows, row)
	}
	feeds, err := h.oncall.Feeds(ctx, oncall.FeedFilter{User: p.User.Name})
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, f := range feeds {
		if f.Schedule == "" {
			d.UserFeeds = append(d.UserFeeds, feedRow{ID: f.ID, What: f.User, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt})
		}
	}
	h.render(w, r, p, status, "oncall", d)
}

// oncallCreate makes a schedule with one layer; the rotation editor of its page does the rest.
func (h *Handler) oncallCreate(w http.ResponseWriter, r *http.Request, p *page) {
	f := newScheduleForm{
		Name: strings.TrimSpace(r.PostFormValue("name")), Zone: strings.TrimSpace(r.PostFormValue("time_zone")),
		Participants: r.PostFormValue("participants"), Shift: strings.TrimSpace(r.PostFormValue("shift")),
		HandOff: strings.TrimSpace(r.PostFormValue("hand_off")),
	}
	if _, err := h.oncall.Stored(r.Context(), f.Name); err == nil {
		h.renderOncallList(w, r, p, http.StatusConflict, f, p.T("oncall.err_exists", f.Name), "")
		return
	}
	cs := config.OnCallSchedule{Name: f.Name, TimeZone: f.Zone, Layers: []config.OnCallLayer{{
		Name: "rotation", Participants: lines(f.Participants), Shift: f.Shift, HandOff: f.HandOff,
	}}}
	s, err := cs.Convert()
	if err == nil {
		err = h.oncall.SaveSchedule(r.Context(), s, p.User.Name)
	}
	if err != nil {
		if msg, ok := fieldError(err); ok {
			h.renderOncallList(w, r, p, http.StatusBadRequest, f, msg, "")
			return
		}
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, oncallURL(f.Name)+"?done=created", http.StatusSeeOther)
}

// fieldError turns a validation error of the config's conversion or of the service into
// "field: message"; ok is false for other errors.
func fieldError(err error) (string, bool) {
	var ce *config.Error
	var ve *oncall.ValidationError
	switch {
	case errors.As(err, &ce):
		return ce.Key + ": " + ce.Msg, true
	case errors.As(err, &ve):
		return ve.Error(), true
	}
	return "", false
}

// lines splits a textarea into its non-empty trimmed lines (commas separate too).
func lines(v string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// The calendar: days as rows of a 96-column grid (quarter hours of the local day).
const (
	calendarDays = 14
	quarters     = 96
)

type calDay struct {
	Label string
	Segs  []calSeg
}

type calSeg struct {
	Who, Title string
	From, To   int // grid lines 1…97
	Override   bool
	Color      int
}

type shiftRow struct {
	Who, Layer string
	Start, End string
	StartISO   string
	EndISO     string
	Override   bool
}

type overrideRow struct {
	ID         int64
	Who        string
	Covers     string
	Start, End string
	Note       string
	CreatedBy  string
	Past       bool
}

type layerForm struct {
	N            int
	Name         string
	Participants string
	Shift        string
	HandOff      string
	Zone         string
	Priority     string
	Restrictions string
}

type scheduleData struct {
	Name, URL, Zone, ZoneNow string
	Origin, UpdatedBy        string
	UpdatedAt                time.Time
	Now, NowLayer, Until     string
	Next, NextStart          string
	Days                     []calDay
	Hours                    []calSeg
	Shifts                   []shiftRow
	Overrides                []overrideRow
	Layers                   []layerForm
	Feeds                    []feedRow
	NewFeed                  string
	CanWrite, CanAdmin       bool
	Err                      string
	OverrideForm             overrideForm
	People                   []person
}

type person struct {
	Name  string
	Color int
}

type overrideForm struct {
	Who, Covers, Start, End, Note string
}

func (h *Handler) oncallSchedule(w http.ResponseWriter, r *http.Request, p *page) {
	h.renderSchedule(w, r, p, http.StatusOK, nil, "", overrideForm{}, "")
}

// renderSchedule writes a schedule's page; layers, when set, are the editor's rows as
// submitted (after an error), errText the error to show, newFeed a feed URL to show once.
func (h *Handler) renderSchedule(w http.ResponseWriter, r *http.Request, p *page, status int, layers []layerForm, errText string, of overrideForm, newFeed string) {
	name := r.PathValue("schedule")
	st, err := h.oncall.Stored(r.Context(), name)
	if errors.Is(err, oncall.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "oncall.not_found")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	oncallNotice(p, r)
	s, loc := st.Schedule, st.Schedule.TimeZone
	p.Title, p.Nav = p.T("oncall.schedule_title", s.Name), "oncall"
	now := h.now()
	d := scheduleData{
		Name: s.Name, URL: oncallURL(s.Name), Zone: loc.String(), ZoneNow: zoneLabel(now.In(loc)),
		Origin: p.T("oncall.origin." + st.Origin), UpdatedBy: st.UpdatedBy, UpdatedAt: st.UpdatedAt,
		CanWrite: p.User.CanWrite(), CanAdmin: p.User.CanAdmin(), Err: errText, OverrideForm: of, NewFeed: newFeed,
	}
	if who, layer, until := oncall.OnCall(s, now); who != "" {
		d.Now, d.NowLayer, d.Until = who, layer, schedClock(until, loc)
	}
	if who, _, start, _, ok := oncall.Next(s, now); ok {
		d.Next, d.NextStart = who, schedClock(start, loc)
	}
	for i := 0; i < 24; i += 3 {
		d.Hours = append(d.Hours, calSeg{Who: fmt.Sprintf("%02d:00", i), From: i*4 + 1, To: i*4 + 13})
	}
	people := map[string]int{}
	color := func(who string) int {
		if c, ok := people[who]; ok {
			return c
		}
		people[who] = len(people) % 8
		d.People = append(d.People, person{who, people[who]})
		return people[who]
	}
	for _, l := range s.Layers {
		for _, who := range l.Participants {
			color(who)
		}
	}
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < calendarDays; i++ {
		start, end := day.AddDate(0, 0, i), day.AddDate(0, 0, i+1)
		cd := calDay{Label: start.Format("Mon 01-02")}
		for _, sh := range oncall.Shifts(s, start, end) {
			from, to := quarterOf(sh.Start, start, loc), quarterOf(sh.End, start, loc)
			if !sh.End.Before(end) {
				to = quarters
			}
			if to <= from {
				to = from + 1
			}
			title := sh.Who + ": " + schedClock(sh.Start, loc) + " – " + schedClock(sh.End, loc)
			if sh.Layer != "" {
				title += " (" + sh.Layer + ")"
			}
			if sh.Override {
				title += " · " + p.T("oncall.override")
			}
			cd.Segs = append(cd.Segs, calSeg{Who: sh.Who, Title: title, From: from + 1, To: to + 1, Override: sh.Override, Color: color(sh.Who)})
		}
		d.Days = append(d.Days, cd)
	}
	for _, sh := range oncall.Shifts(s, now.Truncate(time.Minute), day.AddDate(0, 0, calendarDays)) {
		d.Shifts = append(d.Shifts, shiftRow{Who: sh.Who, Layer: sh.Layer, Start: schedClock(sh.Start, loc), End: schedClock(sh.End, loc),
			StartISO: sh.Start.UTC().Format(time.RFC3339), EndISO: sh.End.UTC().Format(time.RFC3339), Override: sh.Override})
	}
	for i := len(st.Overrides) - 1; i >= 0; i-- {
		o := st.Overrides[i]
		d.Overrides = append(d.Overrides, overrideRow{ID: o.ID, Who: o.Who, Covers: o.Covers, Start: schedClock(o.Start, loc), End: schedClock(o.End, loc),
			Note: o.Note, CreatedBy: o.CreatedBy, Past: !o.End.After(now)})
	}
	if layers != nil {
		d.Layers = layers
	} else {
		cs := config.OnCallScheduleOf(s)
		for i, l := range cs.Layers {
			lf := layerForm{N: i, Name: l.Name, Participants: strings.Join(l.Participants, "\n"), Shift: l.Shift, HandOff: l.HandOff,
				Zone: l.TimeZone, Priority: strconv.Itoa(l.Priority)}
			var rs []string
			for _, rr := range l.Restrictions {
				w := rr.From + "-" + rr.To
				if len(rr.Days) > 0 {
					w = strings.Join(rr.Days, ",") + " " + w
				}
				rs = append(rs, w)
			}
			lf.Restrictions = strings.Join(rs, "\n")
			d.Layers = append(d.Layers, lf)
		}
		d.Layers = append(d.Layers, layerForm{N: len(d.Layers), Priority: "0"})
	}
	feeds, err := h.oncall.Feeds(r.Context(), oncall.FeedFilter{Schedule: s.Name})
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, f := range feeds {
		d.Feeds = append(d.Feeds, feedRow{ID: f.ID, What: f.Schedule, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt})
	}
	h.render(w, r, p, status, "oncall_schedule", d)
}

// quarterOf is the quarter hour of the local day starting at day that t falls in, by the
// clock on the wall (0…95).
func quarterOf(t, day time.Time, loc *time.Location) int {
	lt := t.In(loc)
	if lt.Before(day) {
		return 0
	}
	if lt.YearDay() != day.YearDay() || lt.Year() != day.Year() {
		return quarters
	}
	return (lt.Hour()*60 + lt.Minute()) / 15
}

// oncallSaveLayers saves the rotation editor: every layer row with a name, in order; a row
// with "remove" ticked is left out.
func (h *Handler) oncallSaveLayers(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("schedule")
	st, err := h.oncall.Stored(r.Context(), name)
	if errors.Is(err, oncall.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "oncall.not_found")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	n, _ := strconv.Atoi(r.PostFormValue("layers"))
	if n < 0 || n > 50 {
		n = 0
	}
	var forms []layerForm
	cs := config.OnCallSchedule{Name: name, TimeZone: strings.TrimSpace(r.PostFormValue("time_zone"))}
	if cs.TimeZone == "" {
		cs.TimeZone = st.Schedule.TimeZone.String()
	}
	var restrErr string
	for i := 0; i <= n; i++ {
		k := strconv.Itoa(i)
		f := layerForm{N: len(forms), Name: strings.TrimSpace(r.PostFormValue("name_" + k)), Participants: r.PostFormValue("participants_" + k),
			Shift: strings.TrimSpace(r.PostFormValue("shift_" + k)), HandOff: strings.TrimSpace(r.PostFormValue("hand_off_" + k)),
			Zone: strings.TrimSpace(r.PostFormValue("time_zone_" + k)), Priority: strings.TrimSpace(r.PostFormValue("priority_" + k)),
			Restrictions: r.PostFormValue("restrictions_" + k)}
		if r.PostFormValue("remove_"+k) != "" || (f.Name == "" && strings.TrimSpace(f.Participants) == "") {
			continue
		}
		prio, err := strconv.Atoi(f.Priority)
		if f.Priority != "" && err != nil && restrErr == "" {
			restrErr = fmt.Sprintf("layers[%d].priority: %q is not a whole number", len(forms), f.Priority)
		}
		rs, err := parseRestrictions(f.Restrictions)
		if err != nil && restrErr == "" {
			restrErr = fmt.Sprintf("layers[%d].restrictions: %v", len(forms), err)
		}
		forms = append(forms, f)
		cs.Layers = append(cs.Layers, config.OnCallLayer{Name: f.Name, Participants: lines(f.Participants), Shift: f.Shift, HandOff: f.HandOff,
			Priority: prio, TimeZone: f.Zone, Restrictions: rs})
	}
	fail := func(msg string) {
		forms = append(forms, layerForm{N: len(forms), Priority: "0"})
		h.renderSchedule(w, r, p, http.StatusBadRequest, forms, msg, overrideForm{}, "")
	}
	if restrErr != "" {
		fail(restrErr)
		return
	}
	s, err := cs.Convert()
	if err == nil {
		err = h.oncall.SaveSchedule(r.Context(), s, p.User.Name)
	}
	if err != nil {
		if msg, ok := fieldError(err); ok {
			fail(msg)
			return
		}
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, oncallURL(name)+"?done=saved", http.StatusSeeOther)
}

// parseRestrictions reads one window a line: "mon,tue,wed,thu,fri 09:00-18:00" or
// "09:00-18:00" (every day).
func parseRestrictions(v string) ([]config.OnCallRestriction, error) {
	var out []config.OnCallRestriction
	for i, l := range strings.Split(v, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		var r config.OnCallRestriction
		span := l
		if days, rest, ok := strings.Cut(l, " "); ok {
			span = strings.TrimSpace(rest)
			for _, d := range strings.Split(days, ",") {
				if d = strings.TrimSpace(d); d != "" {
					r.Days = append(r.Days, d)
				}
			}
		}
		from, to, ok := strings.Cut(span, "-")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not \"mon,tue 09:00-18:00\" or \"09:00-18:00\"", i+1, l)
		}
		r.From, r.To = strings.TrimSpace(from), strings.TrimSpace(to)
		out = append(out, r)
	}
	return out, nil
}

func (h *Handler) oncallDelete(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("schedule")
	if err := h.oncall.DeleteSchedule(r.Context(), name); err != nil {
		if errors.Is(err, oncall.ErrNotFound) {
			h.renderError(w, r, p, http.StatusNotFound, "oncall.not_found")
			return
		}
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/oncall?done=deleted", http.StatusSeeOther)
}

// parseFormTime reads a time of a form: RFC 3339 (the "cover this shift" buttons) or local
// time in the schedule's zone ("2026-03-10 09:00", also the browser's datetime-local form).
func parseFormTime(v string, loc *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// oncallAddOverride adds an override: from the form under the overrides, or from a shift's
// "cover this shift" form (start and end of the shift, covers its person).
func (h *Handler) oncallAddOverride(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("schedule")
	sc, err := h.oncall.Schedule(r.Context(), name)
	if errors.Is(err, oncall.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "oncall.not_found")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	f := overrideForm{Who: strings.TrimSpace(r.PostFormValue("who")), Covers: strings.TrimSpace(r.PostFormValue("covers")),
		Start: r.PostFormValue("start"), End: r.PostFormValue("end"), Note: r.PostFormValue("note")}
	start, ok := parseFormTime(f.Start, sc.TimeZone)
	if !ok {
		h.renderSchedule(w, r, p, http.StatusBadRequest, nil, "start: "+p.T("oncall.err_time", f.Start), f, "")
		return
	}
	end, ok := parseFormTime(f.End, sc.TimeZone)
	if !ok {
		h.renderSchedule(w, r, p, http.StatusBadRequest, nil, "end: "+p.T("oncall.err_time", f.End), f, "")
		return
	}
	_, err = h.oncall.AddOverride(r.Context(), name, oncall.Override{Who: f.Who, Covers: f.Covers, Start: start, End: end}, f.Note, p.User.Name)
	if err != nil {
		if msg, ok := fieldError(err); ok {
			h.renderSchedule(w, r, p, http.StatusBadRequest, nil, msg, f, "")
			return
		}
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, oncallURL(name)+"?done=override_added", http.StatusSeeOther)
}

func (h *Handler) oncallDeleteOverride(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("schedule")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = h.oncall.DeleteOverride(r.Context(), name, id)
	} else {
		err = oncall.ErrNotFound
	}
	if errors.Is(err, oncall.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "oncall.override_not_found")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	http.Redirect(w, r, oncallURL(name)+"?done=override_deleted", http.StatusSeeOther)
}

// feedURL is a feed's address: absolute under base_url, else relative to this site.
func (h *Handler) feedURL(r *http.Request, token string) string {
	base := strings.TrimRight(h.cfg.BaseURL, "/")
	if base == "" {
		scheme := "http"
		if h.secure(r) {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/oncall/feeds/" + token + ".ics"
}

// oncallScheduleFeed creates a feed of the schedule and shows its URL once.
func (h *Handler) oncallScheduleFeed(w http.ResponseWriter, r *http.Request, p *page) {
	_, tok, err := h.oncall.CreateFeed(r.Context(), r.PathValue("schedule"), "", p.User.Name)
	if errors.Is(err, oncall.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "oncall.not_found")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.renderSchedule(w, r, p, http.StatusOK, nil, "", overrideForm{}, h.feedURL(r, tok))
}

// oncallUserFeed creates a feed of the logged-in user's shifts in every schedule.
func (h *Handler) oncallUserFeed(w http.ResponseWriter, r *http.Request, p *page) {
	_, tok, err := h.oncall.CreateFeed(r.Context(), "", p.User.Name, p.User.Name)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	h.renderOncallList(w, r, p, http.StatusOK, newScheduleForm{Zone: h.loc.String(), Shift: "1w"}, "", h.feedURL(r, tok))
}

// oncallFeedRevoke ends a feed: a schedule's (writers), one's own, or anyone's (admins).
func (h *Handler) oncallFeedRevoke(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var f *oncall.Feed
	if err == nil {
		f, err = h.oncall.Feed(r.Context(), id)
	} else {
		err = oncall.ErrNotFound
	}
	if err == nil && f.User != "" && f.User != p.User.Name && !p.User.CanAdmin() {
		h.renderError(w, r, p, http.StatusForbidden, "forbidden.admin")
		return
	}
	if err == nil {
		err = h.oncall.RevokeFeed(r.Context(), id)
	}
	if errors.Is(err, oncall.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "oncall.feed_not_found")
		return
	}
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	next := "/oncall"
	if f.Schedule != "" {
		next = oncallURL(f.Schedule)
	}
	http.Redirect(w, r, next+"?done=feed_revoked", http.StatusSeeOther)
}
