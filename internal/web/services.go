package web

import "github.com/tocsin/tocsin/internal/catalog"

// serviceInfo is what the UI shows of a monitor's service: its name, its
// description and its owners resolved to names and addresses.
type serviceInfo struct {
	ID, Name    string
	Description string
	Owners      []catalog.Owner
}

// service returns the service with the given id as the UI shows it; an id
// the running configuration does not know keeps the id as its name, and ""
// gives the zero serviceInfo.
func (s *Server) service(id string) serviceInfo {
	if id == "" {
		return serviceInfo{}
	}
	info := serviceInfo{ID: id, Name: id}
	cat := s.rt.Catalog()
	if cat == nil {
		return info
	}
	if svc, ok := cat.Service(id); ok {
		info.Name = svc.Name
		info.Description = svc.Description
		info.Owners = svc.Owners
	}
	return info
}

// apiServiceInfo is what the API tells of a monitor's or heartbeat's
// service besides its id, in the names of the webhook payload.
type apiServiceInfo struct {
	ServiceName        string          `json:"service_name,omitempty"`
	ServiceDescription string          `json:"service_description,omitempty"`
	Owners             []catalog.Owner `json:"owners"`
}

// apiService returns the API's view of the service with the given id;
// owners is an empty list, never null.
func (s *Server) apiService(id string) apiServiceInfo {
	info := s.service(id)
	out := apiServiceInfo{ServiceDescription: info.Description, Owners: info.Owners}
	if id != "" {
		out.ServiceName = info.Name
	}
	if out.Owners == nil {
		out.Owners = []catalog.Owner{}
	}
	return out
}
