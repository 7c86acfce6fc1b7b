package web

import "net/http"

// ChatService is what the console needs from the chat capability.
type ChatService interface{}

// chatRoutes adds the chat pages (none yet).
func (h *Handler) chatRoutes(mux *http.ServeMux) {}

// chatPanels are the chat capability's home page panels.
func (h *Handler) chatPanels() []panelFunc { return nil }

// chatCatalog holds this capability's console texts (see i18n.go).
var chatCatalog = map[string][4]string{}
