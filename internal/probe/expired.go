package probe

import (
	"context"
	"time"
)

// Expired reports whether ctx is done or its deadline has passed. A
// connection bound to the deadline can fail an instant before ctx itself
// reports it, so a probe asks this rather than ctx.Err alone when deciding
// whether a failure was the timeout.
func Expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
