package heartbeat

import "time"

// ExpireAt judges the deadlines due at now, as the deadline loop does
// when its timer fires.
func (h *Hub) ExpireAt(now time.Time) { h.expire(now) }
