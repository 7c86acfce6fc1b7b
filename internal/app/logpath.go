package app

import "net/http"

// secretRoutes are the routes whose path carries a secret (a feed's token): the request
// log writes the route's pattern instead of the path.
var secretRoutes = map[string]bool{
	"GET /oncall/feeds/{file}": true,
	// heartbeats.go
	heartbeatPingRoutes[0]: true, heartbeatPingRoutes[1]: true, heartbeatPingRoutes[2]: true, heartbeatPingRoutes[3]: true,
}

// loggedPath is the request's path as the log may show it.
func loggedPath(r *http.Request) string {
	if secretRoutes[r.Pattern] {
		return r.Pattern
	}
	return r.URL.Path
}
