package web

import "net/http"

// AlertsService is what the console needs from the alerts capability.
type AlertsService interface{}

// alertRoutes adds the alerts pages (none yet).
func (h *Handler) alertRoutes(mux *http.ServeMux) {}

// alertPanels are the alerts capability's home page panels.
func (h *Handler) alertPanels() []panelFunc { return nil }

// alertsCatalog holds this capability's console texts (see i18n.go).
var alertsCatalog = map[string][4]string{}
