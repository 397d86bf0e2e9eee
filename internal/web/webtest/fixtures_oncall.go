package webtest

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/kinds"
)

// OncallYAML is the configuration OncallShop runs: the service "shop"
// (the monitors "web" and "api") owned by application support, paged
// through the technical support schedule first and the team after 15
// minutes; it depends on the service "db" and the host "db1".
const OncallYAML = `
people:
  - {id: ann, name: Ann Berg, email: ann@example.com, timezone: Europe/Oslo, phone: "+47 555 01 234"}
  - {id: bob, name: Bob Dahl, email: bob@example.com, timezone: America/New_York, contacts: [{channel: hook}, {channel: mail, after: 5m}]}
  - {id: cid, name: Cid Ek}
channels:
  - {id: hook, type: webhook, webhook: {url: "https://hooks.example.com/x"}}
  - {id: mail, type: email, email: {host: smtp.example.com, from: tocsin@example.com, to: [ops@example.com]}}
  - {id: room, type: inbox}
teams:
  - {id: appsupport, name: Application support, members: [bob, cid], channels: [room], escalation_policy: shop}
schedules:
  - id: tech-support
    name: Technical support
    timezone: Europe/Oslo
    layers: [{rotation: daily, handoff: "09:00", start: 2026-03-01, members: [ann, bob]}]
escalation_policies:
  - id: shop
    name: Shop escalation
    steps:
      - {after: 0s, notify: [schedule:tech-support]}
      - {after: 15m, notify: [team:appsupport]}
hosts:
  - {id: db1, name: db1.example.com, monitors: [api]}
services:
  - id: shop
    name: Web shop
    description: Checkout & payment.
    owners: [appsupport]
    runbook: https://wiki.example.com/shop
    tier: 1
    contacts: ["ERP vendor hotline +47 800 12 345"]
    depends_on: [db, host:db1]
    tags: [public, erp]
  - {id: db, name: Database, owners: [cid], escalation_policy: shop}
  - {id: stray}
monitors:
  - {id: web, name: Website, service: shop, type: http, http: {url: "https://shop.example/"}}
  - {id: api, name: API, service: shop, type: http, http: {url: "https://api.example/health"}}
`

// OncallShop runs OncallYAML (its monitors are the environment's "web",
// up, and "api", down). At the environment's start (2026-03-01
// 12:00 UTC) ann is on call; bob takes over on 2026-03-02 at 09:00 Oslo
// time.
func OncallShop(e *Env) {
	cfg, err := config.Parse([]byte(OncallYAML), "oncall.yaml", kinds.Config())
	if err != nil {
		e.T.Fatal(err)
	}
	e.RT.Mu.Lock()
	defer e.RT.Mu.Unlock()
	e.RT.Cfg = cfg
}
