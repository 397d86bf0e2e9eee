package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tocsin/tocsin/internal/alertmanager"
	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// AlertmanagerAnswer is the answer to POST /api/v1/alertmanager: how many
// alerts were taken and refused, and what became of each.
type AlertmanagerAnswer struct {
	Accepted int                    `json:"accepted"`
	Refused  int                    `json:"refused"`
	Alerts   []alertmanager.Outcome `json:"alerts"`
	// Error says, when some alerts were refused, which and why.
	Error *errorDetail `json:"error,omitempty"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// serveAlertmanager serves POST /api/v1/alertmanager, where Alertmanager's
// webhook receiver posts. Every alert it can place is taken; when some
// cannot be (no service label, an unknown service), the answer is 422 and
// names them, so Alertmanager logs the refusal without sending the others
// again. A body that is not a payload is 400, one over the limit 413, and
// a store that cannot write 503, which Alertmanager retries.
func (s *API) serveAlertmanager(w http.ResponseWriter, r *http.Request, _ store.User) error {
	// The paged alerts' own logs record what Alertmanager changed; a
	// notification repeated every few minutes is not a person's action.
	audit.Unrecorded(r.Context())
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, alertmanager.MaxBody))
	if err != nil {
		return err // a *http.MaxBytesError is a 413
	}
	p, err := alertmanager.Decode(body)
	if err != nil {
		return err
	}
	outcomes, err := s.d.Alertmanager.Receive(r.Context(), p)
	if err != nil {
		return err
	}
	ans := AlertmanagerAnswer{Alerts: outcomes}
	var refused []string
	for _, o := range outcomes {
		if o.Accepted {
			ans.Accepted++
			continue
		}
		ans.Refused++
		if len(refused) < 5 {
			refused = append(refused, fmt.Sprintf("alert %d (%s): %s", o.Index, o.Fingerprint, o.Error))
		}
	}
	if ans.Alerts == nil {
		ans.Alerts = []alertmanager.Outcome{}
	}
	if ans.Refused == 0 {
		webcore.WriteJSON(w, http.StatusOK, ans)
		return nil
	}
	msg := fmt.Sprintf("%d of %d alerts refused: %s", ans.Refused, len(outcomes), strings.Join(refused, "; "))
	if ans.Refused > len(refused) {
		msg += fmt.Sprintf("; and %d more", ans.Refused-len(refused))
	}
	ans.Error = &errorDetail{Code: "invalid", Message: msg}
	webcore.WriteJSON(w, http.StatusUnprocessableEntity, ans)
	return nil
}
