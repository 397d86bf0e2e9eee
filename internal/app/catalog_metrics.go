package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/catalog"
)

// registerCatalogGauges exports the catalog's warnings as gauges, read
// from the live catalog at each scrape, so a reload changes them at once.
func registerCatalogGauges(reg prometheus.Registerer, live func() *catalog.Catalog) {
	for _, g := range []struct{ name, help, kind string }{
		{"tocsin_services_without_owner", "Services with no owner.", catalog.WarnServiceNoOwner},
		{"tocsin_services_without_escalation_policy", "Services with no escalation policy, neither their own nor their first owning team's.", catalog.WarnServiceNoPolicy},
		{"tocsin_people_without_contact", "People an escalation policy can page who have no usable contact.", catalog.WarnPersonNoContact},
	} {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help}, func() float64 {
			return float64(live().CountWarnings(g.kind))
		}))
	}
}

// catalogWarnings returns the catalog's warnings in the words `tocsin
// validate` prints them.
func catalogWarnings(cat *catalog.Catalog) []string {
	out := make([]string, 0, len(cat.Warnings()))
	for _, w := range cat.Warnings() {
		out = append(out, "warning: "+w.Message)
	}
	return out
}
