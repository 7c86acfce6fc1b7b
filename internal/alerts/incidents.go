package alerts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts/parse"
	"github.com/opsdesk/opsdesk/internal/store"
)

// Incidents group alerts (issue 13). A system with grouping configured
// (Options.Grouping, from alerts.systems[].group_by and group_window)
// puts alerts whose grouping fields have equal values into one incident
// while it is open and, when the system has a window, while its last
// alert is younger than the window. Only the incident's first alert — its
// leader — escalates; the others are stored, shown on the incident's
// timeline ("joined incident N") and notify nobody.
//
// What happens to an incident follows from its alerts:
//
//   - acknowledging any of its alerts (console, API, chat, phone key)
//     acknowledges the incident and every alert of it still open, which
//     stops the leader's escalation;
//   - the incident resolves when the last of its alerts resolves;
//   - when the leader resolves while others still fire, its escalation
//     ends with it (the condition that paged is over) and the incident
//     stays open with the others; nobody is paged again for the incident,
//     and later alerts of the group keep joining it silently. People see
//     the open alerts on the incident page.
//
// Systems without grouping make no incident rows at all: their alerts
// behave exactly as before incidents existed.
//
// Replicas agree through the database: while an incident is joinable its
// (system, group_key) is unique (index alert_incidents_joinable), and an
// alert joins with INSERT … ON CONFLICT DO UPDATE, which either creates
// the incident with the alert as leader or returns the one another
// transaction created, never both.

// Grouping is how a system's alerts form incidents.
type Grouping struct {
	// By are the fields whose equal values put alerts into one incident:
	// host, service, severity, source, groupKey (Alertmanager's
	// notification group), or any label name.
	By []string
	// Window: a new alert joins an incident whose last alert came at most
	// this long before it; 0 joins for as long as the incident is open.
	Window time.Duration
}

// Incident statuses.
const (
	IncidentOpen         = "open"
	IncidentAcknowledged = "acknowledged"
	IncidentResolved     = "resolved"
)

// KindIncident is the timeline entry of an alert that opened or joined an
// incident.
const KindIncident = "incident"

// maxGroupKey bounds a stored group key; a longer one is replaced by its
// SHA-256 (two groups with equal long keys still meet).
const maxGroupKey = 500

// Incident is a group of alerts escalated once.
type Incident struct {
	ID       int64  `json:"id"`
	System   string `json:"system"`
	GroupKey string `json:"group_key"`
	Status   string `json:"status"`
	// LeaderAlertID is the alert that escalates for the incident.
	LeaderAlertID int64 `json:"leader_alert_id"`
	// Summary is the leader's.
	Summary string `json:"summary"`
	// Sealed: the window has passed; a new alert of the group opens a new
	// incident.
	Sealed       bool       `json:"sealed"`
	FirstAlertAt time.Time  `json:"first_alert_at"`
	LastAlertAt  time.Time  `json:"last_alert_at"`
	AckedAt      *time.Time `json:"acked_at,omitempty"`
	AckedBy      string     `json:"acked_by,omitempty"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
	// Alerts and OpenAlerts count its alerts, all and not resolved.
	Alerts     int `json:"alerts"`
	OpenAlerts int `json:"open_alerts"`
}

// groupField is the value of one grouping field of a signal.
func groupField(sig *parse.Signal, field string) string {
	switch field {
	case "host":
		return sig.Host
	case "service":
		return sig.Service
	case "severity":
		return sig.Severity
	case "source":
		return sig.Source
	case "groupKey":
		return sig.GroupKey
	}
	return sig.Labels[field]
}

// groupKey is the key of the group a signal falls in; ok is false when
// the system does not group or the signal has none of the fields (an
// alert that says nothing about the grouping fields is not lumped in with
// every other such alert).
func (g Grouping) groupKey(sig *parse.Signal) (string, bool) {
	if len(g.By) == 0 {
		return "", false
	}
	vals := make(map[string]string, len(g.By))
	found := false
	for _, f := range g.By {
		v := groupField(sig, f)
		vals[f] = v
		found = found || v != ""
	}
	if !found {
		return "", false
	}
	b, _ := json.Marshal(vals) // sorted keys: the same fields give the same key
	if len(b) > maxGroupKey {
		sum := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(sum[:]), true
	}
	return string(b), true
}

// incidentJoin is what grouping made of an opened alert.
type incidentJoin struct {
	incident int64
	leader   int64
}

// groupIncidents puts the opened alerts of a commit that fall into a
// group into their incidents, creating those that do not exist, and
// returns, per alert id, its incident and the incident's leader. Groups
// go in key order so that two replicas' transactions lock incident rows
// in the same order.
func (s *Service) groupIncidents(ctx context.Context, tx *sql.Tx, items []*ingested, now time.Time) (map[int64]incidentJoin, error) {
	if len(s.o.Grouping) == 0 {
		return nil, nil
	}
	type group struct {
		system, key string
		window      time.Duration
		ids         []int64
	}
	groups := map[[2]string]*group{}
	for _, it := range items {
		g, ok := s.o.Grouping[it.sig.System]
		if !ok {
			continue
		}
		key, ok := g.groupKey(it.sig)
		if !ok {
			continue
		}
		k := [2]string{it.sig.System, key}
		gr := groups[k]
		if gr == nil {
			gr = &group{system: it.sig.System, key: key, window: g.Window}
			groups[k] = gr
		}
		gr.ids = append(gr.ids, it.res.AlertID)
	}
	if len(groups) == 0 {
		return nil, nil
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *group) int {
		return cmp.Or(strings.Compare(a.system, b.system), strings.Compare(a.key, b.key))
	})
	ms := store.Millis(now)
	out := make(map[int64]incidentJoin, len(items))
	for _, g := range list {
		if g.window > 0 {
			// Past its window the incident stops taking alerts; it stays
			// open until its own alerts resolve.
			if _, err := s.execQ(ctx, tx, `UPDATE alert_incidents SET sealed = 1, updated_at = ?
				WHERE system = ? AND group_key = ? AND status <> 'resolved' AND sealed = 0 AND last_alert_at < ?`,
				ms, g.system, g.key, store.Millis(now.Add(-g.window))); err != nil {
				return nil, fmt.Errorf("alerts: seal incident of %s %s: %w", g.system, g.key, err)
			}
		}
		var j incidentJoin
		err := s.rowQ(ctx, tx, `INSERT INTO alert_incidents (system, group_key, status, leader_alert_id, first_alert_at, last_alert_at, updated_at)
			VALUES (?, ?, 'open', ?, ?, ?, ?)
			ON CONFLICT (system, group_key) WHERE status <> 'resolved' AND sealed = 0
			DO UPDATE SET last_alert_at = CASE WHEN excluded.last_alert_at > alert_incidents.last_alert_at THEN excluded.last_alert_at ELSE alert_incidents.last_alert_at END,
				updated_at = excluded.updated_at
			RETURNING id, leader_alert_id`, g.system, g.key, g.ids[0], ms, ms, ms).Scan(&j.incident, &j.leader)
		if err != nil {
			return nil, fmt.Errorf("alerts: incident of %s %s: %w", g.system, g.key, err)
		}
		for start := 0; start < len(g.ids); start += 500 {
			ids := g.ids[start:min(start+500, len(g.ids))]
			args := make([]any, 0, len(ids)+1)
			args = append(args, j.incident)
			for _, id := range ids {
				args = append(args, id)
			}
			q := `UPDATE alerts SET incident_id = ? WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
			if _, err := tx.ExecContext(ctx, s.st.Q(q), args...); err != nil {
				return nil, fmt.Errorf("alerts: join incident %d: %w", j.incident, err)
			}
		}
		for _, id := range g.ids {
			out[id] = j
		}
	}
	return out, nil
}

// incidentFollows brings an incident up to date after one of its alerts
// was acknowledged or resolved, in that change's transaction. The
// incident's row is locked first: an alert joining it concurrently
// either committed before (and is counted here as open) or waits and then
// finds the incident resolved, and opens a new one.
func (s *Service) incidentFollows(ctx context.Context, tx *sql.Tx, incident int64, to, actor string, now time.Time) error {
	var status string
	err := s.rowQ(ctx, tx, `SELECT status FROM alert_incidents WHERE id = ?`+s.forUpdate(), incident).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("alerts: incident %d: %w", incident, err)
	}
	ms := store.Millis(now)
	switch to {
	case StatusAcknowledged:
		if status != IncidentOpen {
			return nil
		}
		if _, err := s.execQ(ctx, tx, `UPDATE alert_incidents SET status = 'acknowledged', acked_at = ?, acked_by = ?, updated_at = ? WHERE id = ? AND status = 'open'`,
			ms, actor, ms, incident); err != nil {
			return fmt.Errorf("alerts: acknowledge incident %d: %w", incident, err)
		}
	case StatusResolved:
		if status == IncidentResolved {
			return nil
		}
		var open int
		if err := s.rowQ(ctx, tx, `SELECT count(*) FROM alerts WHERE incident_id = ? AND status <> 'resolved'`, incident).Scan(&open); err != nil {
			return fmt.Errorf("alerts: incident %d: %w", incident, err)
		}
		if open > 0 {
			return nil
		}
		if _, err := s.execQ(ctx, tx, `UPDATE alert_incidents SET status = 'resolved', resolved_at = ?, updated_at = ? WHERE id = ? AND status <> 'resolved'`,
			ms, ms, incident); err != nil {
			return fmt.Errorf("alerts: resolve incident %d: %w", incident, err)
		}
	}
	return nil
}

// end acknowledges or resolves an alert; an acknowledgement of an alert
// of an incident acknowledges the incident's other open alerts too (the
// leader's escalation stops). It is repeated on every acknowledgement,
// changed or not, so that a retry after a partial failure completes it.
func (s *Service) end(ctx context.Context, id int64, to, by, via string) (*Alert, bool, error) {
	a, changed, err := s.endAlert(ctx, id, to, by, via)
	if err != nil || to != StatusAcknowledged || a.IncidentID == 0 {
		return a, changed, err
	}
	if err := s.ackMembers(ctx, a.IncidentID, id, by, via); err != nil {
		return a, changed, err
	}
	return a, changed, nil
}

// ackMembers acknowledges the alerts of an incident that are neither
// acknowledged nor resolved, except skip (the one just acknowledged).
func (s *Service) ackMembers(ctx context.Context, incident, skip int64, by, via string) error {
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT id FROM alerts WHERE incident_id = ? AND status NOT IN ('acknowledged', 'resolved') ORDER BY id`, incident)
	if err != nil {
		return fmt.Errorf("alerts: alerts of incident %d: %w", incident, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("alerts: alerts of incident %d: %w", incident, err)
		}
		if id != skip {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("alerts: alerts of incident %d: %w", incident, err)
	}
	for _, id := range ids {
		if _, _, err := s.endAlert(ctx, id, StatusAcknowledged, by, via); err != nil && !errors.Is(err, ErrNotActive) && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("alerts: acknowledge alert %d of incident %d: %w", id, incident, err)
		}
	}
	return nil
}

const incidentCols = `i.id, i.system, i.group_key, i.status, i.leader_alert_id, i.sealed, i.first_alert_at, i.last_alert_at,
	i.acked_at, i.acked_by, i.resolved_at, i.updated_at,
	(SELECT count(*) FROM alerts a WHERE a.incident_id = i.id),
	(SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.status <> 'resolved'),
	COALESCE((SELECT a.summary FROM alerts a WHERE a.id = i.leader_alert_id), '')`

func scanIncident(row scanner) (*Incident, error) {
	var in Incident
	var sealed, first, last, acked, resolved, updated int64
	if err := row.Scan(&in.ID, &in.System, &in.GroupKey, &in.Status, &in.LeaderAlertID, &sealed, &first, &last,
		&acked, &in.AckedBy, &resolved, &updated, &in.Alerts, &in.OpenAlerts, &in.Summary); err != nil {
		return nil, err
	}
	in.Sealed = sealed != 0
	in.FirstAlertAt, in.LastAlertAt, in.UpdatedAt = store.Time(first), store.Time(last), store.Time(updated)
	in.AckedAt, in.ResolvedAt = opt(store.Time(acked)), opt(store.Time(resolved))
	if acked == 0 {
		in.AckedAt = nil
	}
	if resolved == 0 {
		in.ResolvedAt = nil
	}
	return &in, nil
}

// Incident returns an incident.
func (s *Service) Incident(ctx context.Context, id int64) (*Incident, error) {
	in, err := scanIncident(s.rowQ(ctx, s.st.R, `SELECT `+incidentCols+` FROM alert_incidents i WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: incident %d: %w", id, err)
	}
	return in, nil
}

// IncidentFilter selects incidents for Incidents.
type IncidentFilter struct {
	// Status is open, acknowledged, resolved, "active" (not resolved) or
	// "" (all).
	Status string
	System string
	// Before pages: incidents with a smaller id.
	Before int64
	Limit  int
}

// IncidentStatuses are the statuses an incident can have.
var IncidentStatuses = []string{IncidentOpen, IncidentAcknowledged, IncidentResolved}

// Incidents returns incidents newest first.
func (s *Service) Incidents(ctx context.Context, f IncidentFilter) ([]*Incident, error) {
	var where []string
	var args []any
	switch f.Status {
	case "":
	case "active":
		where = append(where, "i.status <> 'resolved'")
	default:
		where = append(where, "i.status = ?")
		args = append(args, f.Status)
	}
	if f.System != "" {
		where = append(where, "i.system = ?")
		args = append(args, f.System)
	}
	if f.Before > 0 {
		where = append(where, "i.id < ?")
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := `SELECT ` + incidentCols + ` FROM alert_incidents i`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY i.id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.rowsQ(ctx, s.st.R, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: incidents: %w", err)
	}
	defer rows.Close()
	var out []*Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: incidents: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// IncidentAlerts returns the alerts of an incident, first first.
func (s *Service) IncidentAlerts(ctx context.Context, id int64) ([]*Alert, error) {
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT `+alertCols+` FROM alerts WHERE incident_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("alerts: alerts of incident %d: %w", id, err)
	}
	defer rows.Close()
	var out []*Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: alerts of incident %d: %w", id, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// IncidentTimeline returns the timeline entries of all the alerts of an
// incident, in order (Entry.AlertID tells whose).
func (s *Service) IncidentTimeline(ctx context.Context, id int64) ([]*Entry, error) {
	rows, err := s.rowsQ(ctx, s.st.R, `SELECT l.id, l.alert_id, l.at, l.kind, l.actor, l.detail, l.call_id
		FROM alert_log l JOIN alerts a ON a.id = l.alert_id WHERE a.incident_id = ? ORDER BY l.at, l.id LIMIT 2000`, id)
	if err != nil {
		return nil, fmt.Errorf("alerts: timeline of incident %d: %w", id, err)
	}
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.ID, &e.AlertID, &at, &e.Kind, &e.Actor, &e.Detail, &e.CallID); err != nil {
			return nil, fmt.Errorf("alerts: timeline of incident %d: %w", id, err)
		}
		e.At = store.Time(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// AckIncident acknowledges an incident: every alert of it still open is
// acknowledged, which stops its escalation. changed is false when there
// was nothing to acknowledge.
func (s *Service) AckIncident(ctx context.Context, id int64, by, via string) (*Incident, bool, error) {
	return s.endIncident(ctx, id, StatusAcknowledged, by, via)
}

// ResolveIncident resolves every alert of an incident still open; the
// incident resolves with the last of them.
func (s *Service) ResolveIncident(ctx context.Context, id int64, by, via string) (*Incident, bool, error) {
	return s.endIncident(ctx, id, StatusResolved, by, via)
}

func (s *Service) endIncident(ctx context.Context, id int64, to, by, via string) (*Incident, bool, error) {
	in, err := s.Incident(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if in.Status == IncidentResolved {
		if to == StatusResolved {
			return in, false, nil
		}
		return in, false, ErrNotActive
	}
	members, err := s.IncidentAlerts(ctx, id)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for _, a := range members {
		if a.Status == StatusResolved || a.Status == to {
			continue
		}
		_, ch, err := s.endAlert(ctx, a.ID, to, by, via)
		if errors.Is(err, ErrNotActive) || errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("alerts: %s alert %d of incident %d: %w", to, a.ID, id, err)
		}
		changed = changed || ch
	}
	if !changed && to == StatusAcknowledged && in.Status == IncidentOpen {
		// Every alert was acknowledged or resolved already (the leader
		// resolved, the rest acknowledged): the incident itself still says
		// open.
		actor := by
		if via != "" && via != by {
			actor = by + " (" + via + ")"
		}
		err := s.st.Tx(ctx, func(tx *sql.Tx) error {
			return s.incidentFollows(ctx, tx, id, to, clip(actor, 200), s.now())
		})
		if err != nil {
			return nil, false, err
		}
		changed = true
	}
	in, err = s.Incident(ctx, id)
	return in, changed, err
}
