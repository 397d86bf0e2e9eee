package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// IncidentsOpened lists the incidents opened in [from, to), oldest first.
// The incidents table stays small next to results (a team has hundreds of
// incidents a year, not millions), so the range is read without an index
// of its own; callers cache what they compute from it.
func (d *DB) IncidentsOpened(ctx context.Context, from, to time.Time) ([]store.Incident, error) {
	if to.Before(from) {
		return nil, errs.Errorf(errs.EINVALID, "the window ends (%s) before it starts (%s)", to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	out, err := d.queryIncidents(ctx, "SELECT "+incidentCols+" FROM incidents WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, id", ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("read the incidents opened from %s to %s: %w", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

var _ store.IncidentHistory = (*DB)(nil)
