package ui

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

type agentsData struct {
	Agents []webcore.AgentView
	// NewToken is the token of an agent just created, shown once.
	NewToken string
	NewID    string
	Error    string
	ID       string
	Location string
}

func (s *UI) agentsDep() (webcore.Agents, error) {
	if s.d.Agents == nil {
		return nil, errs.Errorf(errs.ENOTFOUND, "This server has no agents.")
	}
	return s.d.Agents, nil
}

// handleAgents renders "/agents": every agent, where it runs, when it was
// last seen and whether it is live.
func (s *UI) handleAgents(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderAgents(w, r, u, http.StatusOK, agentsData{})
}

func (s *UI) renderAgents(w http.ResponseWriter, r *http.Request, u store.User, status int, data agentsData) error {
	ag, err := s.agentsDep()
	if err != nil {
		return err
	}
	if data.Agents, err = ag.Agents(r.Context()); err != nil {
		return err
	}
	s.Render(w, r, status, "agents.html", &u, "Agents", data)
	return nil
}

// handleAgentCreate creates an agent and shows its token once.
func (s *UI) handleAgentCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	ag, err := s.agentsDep()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the form could not be read: %v", err)
	}
	id, loc := r.PostForm.Get("id"), r.PostForm.Get("location")
	v, token, err := ag.CreateAgent(r.Context(), id, loc)
	if errs.Code(err) == errs.EINVALID || errs.Code(err) == errs.ECONFLICT {
		return s.renderAgents(w, r, u, http.StatusBadRequest, agentsData{Error: errs.Message(err), ID: id, Location: loc})
	}
	if err != nil {
		return err
	}
	return s.renderAgents(w, r, u, http.StatusOK, agentsData{NewToken: token, NewID: v.ID})
}

// handleAgentRevoke revokes an agent's token.
func (s *UI) handleAgentRevoke(w http.ResponseWriter, r *http.Request, u store.User) error {
	ag, err := s.agentsDep()
	if err != nil {
		return err
	}
	if err := ag.RevokeAgent(r.Context(), r.PathValue("id")); errs.Code(err) == errs.ECONFLICT {
		return s.renderAgents(w, r, u, http.StatusBadRequest, agentsData{Error: errs.Message(err)})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/agents", http.StatusSeeOther)
	return nil
}
