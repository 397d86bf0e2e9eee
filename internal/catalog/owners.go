package catalog

import (
	"net/mail"

	"github.com/tocsin/tocsin/internal/config"
)

// Owner kinds.
const (
	OwnerPerson = "person"
	OwnerTeam   = "team"
)

// Owner is one owner of a service, resolved from its id in
// `services.owners`: a person with their address, or a team with its
// members. Notifications, the UI and the API all show owners in this
// shape; the JSON names are part of the webhook payload.
type Owner struct {
	ID   string `json:"id"`
	Name string `json:"name"` // the id when the config gives no name
	Kind string `json:"kind"` // "person" or "team"
	// Email is a person's address, when the config has one.
	Email string `json:"email,omitempty"`
	// Members are a team's people, in the order the team lists them.
	Members []Owner `json:"members,omitempty"`
}

// ServiceOwners returns the owners of the service with the given id in cfg,
// in the order `owners` lists them, or nil when the service is unknown or
// has none. An id that names neither a person nor a team (only possible in
// a configuration that did not pass validation) is left out. It resolves
// one service without building a Catalog, which resolves every service the
// same way.
func ServiceOwners(cfg *config.Config, serviceID string) []Owner {
	if cfg == nil || serviceID == "" {
		return nil
	}
	svc, ok := cfg.Service(serviceID)
	if !ok {
		return nil
	}
	return owners(cfg, svc.Owners)
}

// owners resolves the ids of a service's `owners` list.
func owners(cfg *config.Config, ids []string) []Owner {
	var out []Owner
	for _, id := range ids {
		if p, ok := cfg.Person(id); ok {
			out = append(out, personOwner(p))
			continue
		}
		if t, ok := cfg.Team(id); ok {
			out = append(out, teamOwner(cfg, t))
		}
	}
	return out
}

func teamOwner(cfg *config.Config, t *config.Team) Owner {
	o := Owner{ID: t.ID, Name: orID(t.Name, t.ID), Kind: OwnerTeam}
	for _, pid := range t.Members {
		if p, ok := cfg.Person(pid); ok {
			o.Members = append(o.Members, personOwner(p))
		}
	}
	return o
}

func personOwner(p *config.Person) Owner {
	email := p.Email
	if a, err := mail.ParseAddress(email); err == nil {
		// "Alice <alice@example.com>" is a valid email too; show the
		// address, next to the name the person already has.
		email = a.Address
	}
	return Owner{ID: p.ID, Name: orID(p.Name, p.ID), Kind: OwnerPerson, Email: email}
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}
