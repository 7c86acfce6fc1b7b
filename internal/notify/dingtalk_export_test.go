package notify

import "time"

// SetDingTalkClock makes a DingTalk sender built by New sign with the time
// now returns, so that a test can pin the timestamp and so the signature.
func SetDingTalkClock(s Sender, now func() time.Time) { s.(*dingtalk).now = now }
