package webcore

import "github.com/tocsin/tocsin/internal/catalog"

// ServiceInfo is what the UI shows of a monitor's service: its name, its
// description and its owners resolved to names and addresses.
type ServiceInfo struct {
	ID, Name    string
	Description string
	Owners      []catalog.Owner
}

// Service returns the service with the given id as the UI shows it; an id
// the running configuration does not know keeps the id as its name, and ""
// gives the zero ServiceInfo.
func Service(rt Runtime, id string) ServiceInfo {
	if id == "" {
		return ServiceInfo{}
	}
	info := ServiceInfo{ID: id, Name: id}
	cat := rt.Catalog()
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
