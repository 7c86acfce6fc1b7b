package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdesk/opsdesk/internal/alerts"
	"github.com/opsdesk/opsdesk/internal/chatops"
)

// chatMaintenance runs chat's maintenance command on the alerts
// capability's maintenance windows. A system is named exactly or
// regardless of case; a window from chat starts now, covers every
// severity and label of its system and does not escalate at its end (the
// console and the API offer the rest).
type chatMaintenance struct{ a *App }

// svc is the alerts service, or nil: read at call time, since the alerts
// module may be built after the chat module.
func (c chatMaintenance) svc() *alerts.Service { return c.a.Alerts() }

func (c chatMaintenance) Zone() *time.Location { return c.a.Cfg.Alerts.Location() }

func (c chatMaintenance) Systems(ctx context.Context) ([]string, error) {
	svc := c.svc()
	if svc == nil {
		return nil, nil
	}
	systems, err := svc.Systems(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(systems))
	for i, s := range systems {
		names[i] = s.Name
	}
	return names, nil
}

func (c chatMaintenance) StartMaintenance(ctx context.Context, system string, d time.Duration, reason, by string) (chatops.MaintenanceWindow, error) {
	svc := c.svc()
	if svc == nil {
		return chatops.MaintenanceWindow{}, chatops.ErrNoSystem
	}
	names, err := c.Systems(ctx)
	if err != nil {
		return chatops.MaintenanceWindow{}, err
	}
	name := ""
	for _, n := range names {
		if n == system || (name == "" && strings.EqualFold(n, system)) {
			name = n
		}
	}
	if name == "" {
		return chatops.MaintenanceWindow{}, chatops.ErrNoSystem
	}
	if reason == "" {
		reason = "maintenance of " + name
	}
	start := c.a.now()
	w, err := svc.CreateWindow(ctx, alerts.Window{Name: reason, System: name, Start: start, End: start.Add(d), TimeZone: c.Zone().String()}, by)
	var ve *alerts.ValidationError
	if errors.As(err, &ve) {
		return chatops.MaintenanceWindow{}, &chatops.MaintenanceRefusal{Field: ve.Field, Msg: ve.Msg}
	}
	if err != nil {
		return chatops.MaintenanceWindow{}, err
	}
	return chatWindow(w, start), nil
}

func (c chatMaintenance) OpenMaintenance(ctx context.Context) ([]chatops.MaintenanceWindow, error) {
	svc := c.svc()
	if svc == nil {
		return nil, nil
	}
	ws, err := svc.Windows(ctx, false)
	if err != nil {
		return nil, err
	}
	now := c.a.now()
	out := make([]chatops.MaintenanceWindow, 0, len(ws))
	for _, w := range ws {
		out = append(out, chatWindow(w, now))
	}
	return out, nil
}

func (c chatMaintenance) EndMaintenance(ctx context.Context, id int64, by string) (chatops.MaintenanceWindow, error) {
	svc := c.svc()
	if svc == nil {
		return chatops.MaintenanceWindow{}, chatops.ErrNoWindow
	}
	w, err := svc.Window(ctx, id)
	if errors.Is(err, alerts.ErrNotFound) {
		return chatops.MaintenanceWindow{}, chatops.ErrNoWindow
	}
	if err != nil {
		return chatops.MaintenanceWindow{}, err
	}
	if err := svc.EndWindow(ctx, id, by); errors.Is(err, alerts.ErrNotFound) {
		return chatops.MaintenanceWindow{}, chatops.ErrNoWindow
	} else if err != nil {
		return chatops.MaintenanceWindow{}, fmt.Errorf("app: end maintenance window %d from chat: %w", id, err)
	}
	return chatWindow(w, c.a.now()), nil
}

// chatWindow is w as chat shows it at now.
func chatWindow(w *alerts.Window, now time.Time) chatops.MaintenanceWindow {
	state, start, end := w.State(now)
	var scope []string
	if len(w.Severities) > 0 {
		scope = append(scope, strings.Join(w.Severities, ", "))
	}
	scope = append(scope, w.Matchers...)
	return chatops.MaintenanceWindow{ID: w.ID, Name: w.Name, System: w.System, Scope: strings.Join(scope, " · "),
		Start: start, End: end, Active: state == alerts.WindowActive, Weekly: w.Weekly, Held: w.Held}
}
