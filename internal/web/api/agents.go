package api

import (
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Agent is a remote agent (docs/agents.md). Token is set only in the
// answer to its creation.
type Agent struct {
	ID        string     `json:"id"`
	Location  string     `json:"location"`
	FromFile  bool       `json:"from_file"`
	CreatedAt *time.Time `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	LastSeen  *time.Time `json:"last_seen"`
	Live      bool       `json:"live"`
	Token     string     `json:"token,omitempty"`
}

func toAPIAgent(v webcore.AgentView) Agent {
	return Agent{ID: v.ID, Location: v.Location, FromFile: v.FromFile, CreatedAt: optTime(v.CreatedAt),
		RevokedAt: optTime(v.RevokedAt), LastSeen: optTime(v.LastSeen), Live: v.Live}
}

func (s *API) agents() (webcore.Agents, error) {
	if s.d.Agents == nil {
		return nil, errs.Errorf(errs.ENOTFOUND, "this server has no agents")
	}
	return s.d.Agents, nil
}

// serveAgents serves GET /api/v1/agents: every agent, of the file and
// created at run time, by id (one page: there are few).
func (s *API) serveAgents(w http.ResponseWriter, r *http.Request, _ store.User) error {
	ag, err := s.agents()
	if err != nil {
		return err
	}
	list, err := ag.Agents(r.Context())
	if err != nil {
		return err
	}
	out := List[Agent]{Data: make([]Agent, 0, len(list))}
	for _, v := range list {
		out.Data = append(out.Data, toAPIAgent(v))
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

type agentRequest struct {
	ID       string `json:"id"`
	Location string `json:"location"`
}

// serveAgentCreate serves POST /api/v1/agents {"id", "location"}: the
// answer holds the agent's token, which is never shown again.
func (s *API) serveAgentCreate(w http.ResponseWriter, r *http.Request, _ store.User) error {
	ag, err := s.agents()
	if err != nil {
		return err
	}
	var req agentRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	v, token, err := ag.CreateAgent(r.Context(), req.ID, req.Location)
	if err != nil {
		return err
	}
	out := toAPIAgent(v)
	out.Token = token
	webcore.WriteJSON(w, http.StatusCreated, One[Agent]{Data: out})
	return nil
}

// serveAgentDelete serves DELETE /api/v1/agents/{id}: revokes the agent's
// token.
func (s *API) serveAgentDelete(w http.ResponseWriter, r *http.Request, _ store.User) error {
	ag, err := s.agents()
	if err != nil {
		return err
	}
	if err := ag.RevokeAgent(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
