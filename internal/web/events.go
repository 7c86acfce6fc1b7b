package web

import "net/http"

// EventsService is what the console needs from the events capability.
type EventsService interface{}

// eventRoutes adds the events pages (none yet).
func (h *Handler) eventRoutes(mux *http.ServeMux) {}

// eventPanels are the events capability's home page panels.
func (h *Handler) eventPanels() []panelFunc { return nil }

// eventsCatalog holds this capability's console texts (see i18n.go).
var eventsCatalog = map[string][4]string{}
