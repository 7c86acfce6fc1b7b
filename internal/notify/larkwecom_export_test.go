package notify

import "time"

// SetLarkClock makes a Lark sender built by New sign with the time now
// returns, so that a test can pin the timestamp and so the signature.
func SetLarkClock(s Sender, now func() time.Time) { s.(*lark).now = now }
