package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/cases"
)

// GET /cases/stats draws its charts on the server as inline SVG: no
// script, no chart library. Every chart has a <title> and <desc>, a
// <title> on each bar (the tooltip), and its numbers in a table under it.
//
// Horizontal positions are percentages and vertical ones pixels, so a
// chart fills the width of any screen while its text keeps its size; the
// stylesheet hides two month labels in three on narrow screens, and gives
// the <svg> a left padding where the axis labels go (at negative x).

// statsMonths is how many months the charts cover.
const statsMonths = 24

// topServices is how many services get their own colour; the rest are
// "other services".
const topServices = 8

// Chart geometry (pixels): the plot runs from plotTop to plotBase, month
// labels and years below it.
const (
	chartHeight = 250
	plotTop     = 18
	plotBase    = 206
	tickY       = 224
	yearY       = 242
)

type chartSeries struct {
	Key   string
	Label string
	Class string
	Total string
}

type chartSeg struct {
	Class      string
	X, W, Y, H string
	Title      string
}

type chartMonth struct {
	Key   string // "2025-01"
	Label string // "Jan 2025"
	Tick  string // "Jan"
	Year  string // shown at January and the first labelled month
	Mid   string // centre, as a percentage
	Minor bool   // label hidden on narrow screens
	Total int
	Segs  []chartSeg
}

type gridLine struct {
	Y      string
	LabelY string // the label sits left of its line, in the padding
	Label  string
}

type chartTable struct {
	Cols []string
	Rows [][]string
}

type chart struct {
	ID     string
	Title  string
	Desc   string
	Height int
	Base   int
	TickY  int
	YearY  int
	Grid   []gridLine
	Months []chartMonth
	Series []chartSeries
	Table  chartTable
	Empty  bool
}

type statsData struct {
	Accounts []option
	Account  string
	Months   int
	From, To string // first and last month, localized
	Cases    int
	Charts   []*chart
	Archived int
}

// caseStats is GET /cases/stats: cases per month by service and by
// severity, and time to resolution, over the last statsMonths months.
func (h *Handler) caseStats(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Nav = p.T("stats.title"), "cases"
	ctx := r.Context()
	account := strings.TrimSpace(r.URL.Query().Get("account"))
	facets, err := h.cases.Facets(ctx)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	months, from, to := cases.Months(h.now(), statsMonths)
	d := statsData{Account: account, Months: statsMonths, Archived: facets.Cases,
		Accounts: options(p.T("stats.all_accounts"), account, facets.Accounts, nil)}
	first, _ := time.Parse("2006-01", months[0])
	last, _ := time.Parse("2006-01", months[len(months)-1])
	d.From, _ = monthLabel(p.Lang, first)
	d.To, _ = monthLabel(p.Lang, last)
	f := cases.StatsFilter{Account: account, From: from, To: to}

	bySvc, err := h.cases.MonthlyCounts(ctx, cases.ByService, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	bySev, err := h.cases.MonthlyCounts(ctx, cases.BySeverity, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	res, err := h.cases.ResolutionByMonth(ctx, f)
	if err != nil {
		h.serverError(w, r, p, err)
		return
	}
	for _, c := range bySvc {
		d.Cases += c.Cases
	}

	// Services: the busiest get a colour each, the rest share one.
	totals := map[string]int{}
	for _, c := range bySvc {
		totals[c.Key] += c.Cases
	}
	svcs := make([]string, 0, len(totals))
	for k := range totals {
		svcs = append(svcs, k)
	}
	sort.Slice(svcs, func(i, j int) bool {
		if totals[svcs[i]] != totals[svcs[j]] {
			return totals[svcs[i]] > totals[svcs[j]]
		}
		return svcs[i] < svcs[j]
	})
	var svcSeries []chartSeries
	group := map[string]string{}
	for i, s := range svcs {
		if i < topServices || len(svcs) == topServices+1 {
			svcSeries = append(svcSeries, chartSeries{Key: s, Label: s, Class: "p" + strconv.Itoa(i)})
			group[s] = s
		} else {
			group[s] = "\x00other"
		}
	}
	if len(svcs) > len(svcSeries) {
		svcSeries = append(svcSeries, chartSeries{Key: "\x00other", Label: p.T("stats.other"), Class: "pother"})
	}
	for i := range bySvc {
		bySvc[i].Key = group[bySvc[i].Key]
	}
	var sevSeries []chartSeries
	for _, s := range caseSeverities {
		sevSeries = append(sevSeries, chartSeries{Key: s, Label: severityLabel(p, s), Class: "sev-" + s})
	}
	for _, c := range bySev {
		if !slices.Contains(caseSeverities, c.Key) && !slices.ContainsFunc(sevSeries, func(s chartSeries) bool { return s.Key == c.Key }) {
			sevSeries = append(sevSeries, chartSeries{Key: c.Key, Label: c.Key, Class: "pother"})
		}
	}

	d.Charts = []*chart{
		stackedChart(p, "by-service", p.T("stats.by_service"), months, svcSeries, bySvc),
		stackedChart(p, "by-severity", p.T("stats.by_severity"), months, sevSeries, bySev),
		resolutionChart(p, months, res),
	}
	h.render(w, r, p, http.StatusOK, "case_stats", d)
}

// monthLabel returns a month's long ("Jan 2025", "2025年1月") and short
// ("Jan", "1月") names in the language.
func monthLabel(lang string, t time.Time) (long, short string) {
	m := int(t.Month())
	switch lang {
	case "ja", "zh":
		return fmt.Sprintf("%d年%d月", t.Year(), m), fmt.Sprintf("%d月", m)
	case "ko":
		return fmt.Sprintf("%d년 %d월", t.Year(), m), fmt.Sprintf("%d월", m)
	}
	short = t.Format("Jan")
	return short + " " + strconv.Itoa(t.Year()), short
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) + "%" }
func px(v float64) string  { return strconv.FormatFloat(v, 'f', 1, 64) }

// newChart lays out the months: slot i of n spans i/n … (i+1)/n of the
// width.
func newChart(p *page, id, title string, months []string) *chart {
	c := &chart{ID: id, Title: title, Height: chartHeight, Base: plotBase, TickY: tickY, YearY: yearY}
	slot := 100 / float64(len(months))
	yearShown := false
	for i, key := range months {
		t, _ := time.Parse("2006-01", key)
		long, short := monthLabel(p.Lang, t)
		cm := chartMonth{Key: key, Label: long, Tick: short, Mid: pct((float64(i) + 0.5) * slot), Minor: (t.Month()-1)%3 != 0}
		if !cm.Minor && (!yearShown || t.Month() == time.January) {
			cm.Year = strconv.Itoa(t.Year())
			yearShown = true
		}
		c.Months = append(c.Months, cm)
	}
	return c
}

// scale returns a round top value (1, 2 or 5 × 10ⁿ steps) at or above max
// and the gridline values from 0 up to it.
func scale(max float64) (top float64, ticks []float64) {
	if max <= 0 {
		max = 1
	}
	raw := max / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if step < 1 && max >= 1 {
		step = 1
	}
	top = math.Ceil(max/step) * step
	for v := 0.0; v <= top+step/1000; v += step {
		ticks = append(ticks, v)
	}
	return top, ticks
}

func yOf(v, top float64) float64 {
	return plotBase - v/top*(plotBase-plotTop)
}

func trimFloat(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// stackedChart draws one bar per month, stacked by series, with a table of
// the numbers.
func stackedChart(p *page, id, title string, months []string, series []chartSeries, counts []cases.MonthCount) *chart {
	c := newChart(p, id, title, months)
	idx := map[string]int{}
	for i, m := range months {
		idx[m] = i
	}
	sidx := map[string]int{}
	for i, s := range series {
		sidx[s.Key] = i
	}
	cells := make([][]int, len(months))
	for i := range cells {
		cells[i] = make([]int, len(series))
	}
	sums := make([]int, len(series))
	for _, mc := range counts {
		mi, ok := idx[mc.Month]
		si, ok2 := sidx[mc.Key]
		if !ok || !ok2 {
			continue
		}
		cells[mi][si] += mc.Cases
		sums[si] += mc.Cases
	}
	maxTotal, all := 0, 0
	for i := range c.Months {
		for _, n := range cells[i] {
			c.Months[i].Total += n
		}
		maxTotal = max(maxTotal, c.Months[i].Total)
		all += c.Months[i].Total
	}
	top, ticks := scale(float64(maxTotal))
	for _, v := range ticks {
		c.Grid = append(c.Grid, gridLine{Y: px(yOf(v, top)), LabelY: px(yOf(v, top) + 4), Label: trimFloat(v)})
	}
	slot := 100 / float64(len(months))
	for i := range c.Months {
		m := &c.Months[i]
		acc := 0
		for si, n := range cells[i] {
			if n == 0 {
				continue
			}
			y0, y1 := yOf(float64(acc), top), yOf(float64(acc+n), top)
			acc += n
			m.Segs = append(m.Segs, chartSeg{Class: series[si].Class, X: pct((float64(i) + 0.15) * slot), W: pct(0.7 * slot),
				Y: px(y1), H: px(y0 - y1), Title: fmt.Sprintf("%s · %s: %d", m.Label, series[si].Label, n)})
		}
	}
	for i := range series {
		series[i].Total = strconv.Itoa(sums[i])
	}
	c.Series = series
	c.Empty = all == 0
	c.Desc = p.T("stats.stacked_desc", all, len(months))
	c.Table.Cols = append([]string{p.T("stats.month")}, seriesLabels(series)...)
	c.Table.Cols = append(c.Table.Cols, p.T("stats.total"))
	for i, m := range c.Months {
		row := []string{m.Label}
		for _, n := range cells[i] {
			row = append(row, strconv.Itoa(n))
		}
		c.Table.Rows = append(c.Table.Rows, append(row, strconv.Itoa(m.Total)))
	}
	return c
}

func seriesLabels(s []chartSeries) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Label
	}
	return out
}

// durUnit picks minutes, hours or days for the largest duration shown.
func durUnit(max time.Duration) (time.Duration, string) {
	switch {
	case max < 2*time.Hour:
		return time.Minute, "unit.minutes"
	case max < 72*time.Hour:
		return time.Hour, "unit.hours"
	}
	return 24 * time.Hour, "unit.days"
}

// formatDuration writes d for people: "45 min", "5.5 h", "3.2 d".
func formatDuration(p *page, d time.Duration) string {
	unit, key := durUnit(d)
	v := float64(d) / float64(unit)
	if unit == time.Minute {
		return p.T(key, trimFloat(math.Round(v)))
	}
	return p.T(key, trimFloat(math.Round(v*10)/10))
}

// resolutionChart draws, per month, the 90th percentile as a light bar and
// the median as a narrower dark bar in front of it.
func resolutionChart(p *page, months []string, res []cases.ResolutionMonth) *chart {
	c := newChart(p, "resolution", p.T("stats.resolution"), months)
	byMonth := map[string]cases.ResolutionMonth{}
	var longest time.Duration
	resolved := 0
	for _, r := range res {
		byMonth[r.Month] = r
		longest = max(longest, r.P90)
	}
	unit, key := durUnit(longest)
	top, ticks := scale(float64(longest) / float64(unit))
	for _, v := range ticks {
		c.Grid = append(c.Grid, gridLine{Y: px(yOf(v, top)), LabelY: px(yOf(v, top) + 4), Label: p.T(key, trimFloat(v))})
	}
	slot := 100 / float64(len(months))
	medianLabel, p90Label := p.T("stats.median"), p.T("stats.p90")
	c.Table.Cols = []string{p.T("stats.month"), p.T("stats.resolved_n"), medianLabel, p90Label}
	for i := range c.Months {
		m := &c.Months[i]
		r, ok := byMonth[m.Key]
		if !ok {
			c.Table.Rows = append(c.Table.Rows, []string{m.Label, "0", "—", "—"})
			continue
		}
		m.Total = r.Cases
		resolved += r.Cases
		for _, b := range []struct {
			class string
			d     time.Duration
			left  float64
			width float64
			label string
		}{{"res-p90", r.P90, 0.15, 0.7, p90Label}, {"res-median", r.Median, 0.3, 0.4, medianLabel}} {
			v := float64(b.d) / float64(unit)
			y := yOf(v, top)
			m.Segs = append(m.Segs, chartSeg{Class: b.class, X: pct((float64(i) + b.left) * slot), W: pct(b.width * slot),
				Y: px(y), H: px(plotBase - y), Title: fmt.Sprintf("%s · %s: %s (%s)", m.Label, b.label, formatDuration(p, b.d), p.T("stats.resolved_count", r.Cases))})
		}
		c.Table.Rows = append(c.Table.Rows, []string{m.Label, strconv.Itoa(r.Cases), formatDuration(p, r.Median), formatDuration(p, r.P90)})
	}
	c.Series = []chartSeries{{Key: "median", Label: medianLabel, Class: "res-median"}, {Key: "p90", Label: p90Label, Class: "res-p90"}}
	c.Empty = resolved == 0
	c.Desc = p.T("stats.resolution_desc", resolved, len(months))
	return c
}
