package archtest

// The table of allowed import directions. Each rule governs the packages
// in pkgs and says, in words and in may, which of the module's packages
// they may import; an import of anything else fails the test with the
// rule's words. A package is governed by the rule that names it exactly,
// else by the one whose "/..." pattern is the longest prefix of it; a
// package no rule governs fails the test too, so every new package gets
// its directions written down here.
//
// Patterns: "internal/x" is that package; "internal/x/..." is it and
// every package below it; "..." is every package of the module. Only the
// imports of non-test files are checked: tests may use harnesses (testkit,
// sqlstore) that production code must reach through interfaces.

// leaves are the shared packages anyone may import: they import nothing
// of Tocsin but each other, so no import of them points back.
var leaves = []string{
	"internal/errs",
	"internal/logx",
	"internal/redact",
	"internal/safetext",
	"internal/text",
	"internal/cron",
	"internal/spec/...",
}

// storeContracts are the store's interfaces and row types, and the batch
// helpers that go with them; sqlstore, the implementation, is wired by app.
var storeContracts = []string{"internal/store", "internal/store/batch"}

var rules = []rule{
	{
		words: "shared leaves (errs, logx, redact, safetext, text, cron, spec) import nothing of Tocsin but each other",
		pkgs:  leaves,
		may:   leaves,
	},
	{
		words: "the architecture test reads the import graph; it imports nothing of Tocsin",
		pkgs:  []string{"internal/archtest"},
	},
	{
		words: "testkit is the in-process test harness: it imports no package it tests, only shared leaves",
		pkgs:  []string{"internal/testkit/..."},
		may:   leaves,
	},
	{
		words: "testkit/proc runs the tocsin binary as processes for tests: it builds cmd/tocsin rather than importing it, and uses testkit and shared leaves only",
		pkgs:  []string{"internal/testkit/proc"},
		may:   cat([]string{"internal/testkit"}, leaves),
	},
	{
		words: "probe is the base every probe kind builds on (Prober, Result, conditions, the kind registry): it imports no probe kind, only config and shared leaves",
		pkgs:  []string{"internal/probe"},
		may:   cat([]string{"internal/config"}, leaves),
	},
	{
		words: "probe kinds know nothing of alerts: internal/probe/... may not import alert, notify, engine, monitor, store, heartbeat, catalog, scheduler, web or app; a kind uses probe, config (to declare its block), other kinds' helpers and shared leaves",
		pkgs:  []string{"internal/probe/..."},
		may:   cat([]string{"internal/probe/...", "internal/config"}, leaves),
	},
	{
		words: "mailtest is a test helper of the mail probe kinds: like a kind, and it may use testkit's mail servers",
		pkgs:  []string{"internal/probe/internal/mailtest"},
		may:   cat([]string{"internal/probe/...", "internal/config", "internal/testkit"}, leaves),
	},
	{
		words: "config imports no probe kind, no probe, no heartbeat, no store and no web: it decodes and validates the file with shared leaves (cron, spec) only, and the kinds' blocks through the table its caller hands it",
		pkgs:  []string{"internal/config"},
		may:   leaves,
	},
	{
		words: "catalog is a read model built from config: it imports config, oncall (to say who is on call) and shared leaves, nothing downstream",
		pkgs:  []string{"internal/catalog/..."},
		may:   cat([]string{"internal/config", "internal/oncall"}, leaves),
	},
	{
		words: "monitor is the pure state machine: it imports probe (for Result) and shared leaves only, no I/O",
		pkgs:  []string{"internal/monitor/..."},
		may:   cat([]string{"internal/probe"}, leaves),
	},
	{
		words: "oncall is the pure rotation engine (who is on call at an instant, handoffs, gaps): it reads config's schedules and imports shared leaves only; no store, no engine, no notify, no web, no I/O",
		pkgs:  []string{"internal/oncall/..."},
		may:   cat([]string{"internal/config"}, leaves),
	},
	{
		words: "mute answers whether a monitor is muted (maintenance windows, silences) at an instant: a pure function of config and the windows and silences it is handed; it imports config and shared leaves only; no store, no engine, no web, no I/O",
		pkgs:  []string{"internal/mute/..."},
		may:   cat([]string{"internal/config"}, leaves),
	},
	{
		words: "change answers from the catalog which recorded changes are suspects of a problem, what depends on a host, component or service, and how well services are watched: pure functions of config, catalog, probe's Class and the store's change rows; no store access, no engine, no web, no probe kind",
		pkgs:  []string{"internal/change/..."},
		may:   cat([]string{"internal/config", "internal/catalog", "internal/probe", "internal/store"}, leaves),
	},
	{
		words: "alert imports no store: it turns transitions into alerts from config, catalog, monitor and notify's types, and knows no probe kind and no web",
		pkgs:  []string{"internal/alert/..."},
		may:   cat([]string{"internal/config", "internal/catalog", "internal/monitor", "internal/notify", "internal/probe"}, leaves),
	},
	{
		words: "alertmanager turns Alertmanager's webhook payloads into changes to paged alerts: a pure function of config, alert's policy lookup and the store's AlertChange; no store access, no engine, no web",
		pkgs:  []string{"internal/alertmanager"},
		may:   cat([]string{"internal/config", "internal/alert"}, storeContracts, leaves),
	},
	{
		words: "audit records who changed what through a small interface over the store's, and says what a reload changed: it imports config and the store's interfaces; no engine, no web, no app",
		pkgs:  []string{"internal/audit"},
		may:   cat([]string{"internal/config"}, storeContracts, leaves),
	},
	{
		words: "notify sends what it is handed: notify and its channels import config, catalog, store/batch and shared leaves; no alert, no engine, no store, no probe, no web",
		pkgs:  []string{"internal/notify/..."},
		may:   cat([]string{"internal/notify/...", "internal/config", "internal/catalog", "internal/store/batch"}, leaves),
	},
	{
		words: "the channel list (notify/channels) is the one place that imports every channel kind: it imports notify, its kinds and config, and only app wires it",
		pkgs:  []string{"internal/notify/channels"},
		may:   cat([]string{"internal/notify/...", "internal/config"}, leaves),
	},
	{
		words: "the engine orders the stages and owns the transactions: it imports the stages, catalog, config, probe and the store's interfaces; never sqlstore, web or app",
		pkgs:  []string{"internal/engine/..."},
		may: cat([]string{"internal/engine/...", "internal/monitor", "internal/alert", "internal/incident/...", "internal/oncall/...",
			"internal/mute", "internal/notify", "internal/catalog", "internal/config", "internal/probe"}, storeContracts, leaves),
	},
	{
		words: "replica shares the monitors between replicas by leases held through the store's interfaces and answers the engine's ownership question from memory: it imports the store's interfaces only; never the engine, sqlstore, web or app",
		pkgs:  []string{"internal/replica"},
		may:   cat(storeContracts, leaves),
	},
	{
		words: "escalate runs escalation policies from the store's timers: it imports catalog, config, notify's event types and the store's interfaces; never the engine, sqlstore, web or app",
		pkgs:  []string{"internal/escalate/..."},
		may:   cat([]string{"internal/escalate/...", "internal/catalog", "internal/config", "internal/notify"}, storeContracts, leaves),
	},
	{
		words: "incident turns paged alerts into incidents and moves them along: it imports config and the store's interfaces; never the engine, escalate, sqlstore, web or app",
		pkgs:  []string{"internal/incident/..."},
		may:   cat([]string{"internal/incident/...", "internal/config"}, storeContracts, leaves),
	},
	{
		words: "incident/stats measures how incidents were answered (time to detect, acknowledge, resolve; who noticed first): a pure function of the store's incident rows; no store access, no engine, no web",
		pkgs:  []string{"internal/incident/stats"},
		may:   cat(storeContracts, leaves),
	},
	{
		words: "postmortem writes an incident's postmortem draft from a template: a pure function of the store's incident and change rows and change's suspects; no store access, no engine, no web",
		pkgs:  []string{"internal/postmortem/..."},
		may:   cat([]string{"internal/postmortem/...", "internal/change"}, storeContracts, leaves),
	},
	{
		words: "followup decides and queues the reminders of follow-up actions: it imports catalog (whom an owner reaches), config (targets), notify's event types and the store's interfaces; never the engine, escalate, sqlstore, web or app",
		pkgs:  []string{"internal/followup/..."},
		may:   cat([]string{"internal/followup/...", "internal/catalog", "internal/config", "internal/notify"}, storeContracts, leaves),
	},
	{
		words: "web/ack serves the one-click alert links, without a login: it checks links with escalate and acts through the store's interfaces; no other web package, no sessions",
		pkgs:  []string{"internal/web/ack"},
		may:   cat([]string{"internal/escalate", "internal/audit"}, storeContracts, leaves),
	},
	{
		words: "web/status serves the public status pages, without a login: it reads the runtime and maintenance through webcore, mute and the store's interfaces, and takes subscriptions through subscribe; no other web package, no sessions, no probe kind",
		pkgs:  []string{"internal/web/status"},
		may:   cat([]string{"internal/web/webcore", "internal/config", "internal/catalog", "internal/monitor", "internal/mute", "internal/subscribe"}, storeContracts, leaves),
	},
	{
		words: "subscribe sends public incident updates to status page subscribers: it reads config and the store's interfaces and makes notify's outbox messages (posting to webhooks like notify/webhook); never the engine, incident, sqlstore, web or app",
		pkgs:  []string{"internal/subscribe"},
		may:   cat([]string{"internal/config", "internal/notify", "internal/notify/webhook"}, storeContracts, leaves),
	},
	{
		words: "agent is both sides of remote agents: the server side authenticates agents, builds their assignments from config and hands their results on through a function app gives it; the agent side runs probes through the kind registry it is handed and buffers results on disk; it imports config, probe, the store's interfaces and shared leaves; no probe kind, no engine, no web, no app",
		pkgs:  []string{"internal/agent/..."},
		may:   cat([]string{"internal/config", "internal/probe"}, storeContracts, leaves),
	},
	{
		words: "agentcmd is the agent process's command line, shared by `tocsin agent` and the slim tocsin-agent build: it wires the agent side of agent to the probe kind registry and imports nothing of the server (no store implementation, no engine, no web, no app), so the slim build stays small",
		pkgs:  []string{"internal/agentcmd"},
		may:   cat([]string{"internal/agent", "internal/probe/kinds", "internal/probe/httpx"}, leaves),
	},
	{
		words: "heartbeat turns pings and missed deadlines into Results: it imports probe, the store's interfaces and shared leaves; no config, no probe kind, no alert, no web",
		pkgs:  []string{"internal/heartbeat/..."},
		may:   cat([]string{"internal/heartbeat/...", "internal/probe"}, storeContracts, leaves),
	},
	{
		words: "the heartbeat roster joins the heartbeats of the config file and of the store: like heartbeat, and it reads config",
		pkgs:  []string{"internal/heartbeat/roster"},
		may:   cat([]string{"internal/heartbeat/...", "internal/probe", "internal/config"}, storeContracts, leaves),
	},
	{
		words: "scheduler decides when monitors run: it imports shared leaves only",
		pkgs:  []string{"internal/scheduler/..."},
		may:   leaves,
	},
	{
		words: "store knows no probe kind: store, sqlstore and storetest use probe, monitor and notify's types and shared leaves; no probe kind, no config, no alert, no web",
		pkgs:  []string{"internal/store/..."},
		may:   cat([]string{"internal/store/...", "internal/probe", "internal/monitor", "internal/notify"}, leaves),
	},
	{
		words: "storetest is the store's conformance suite, run by tests: like store, and it uses testkit to fail or skip when PostgreSQL is missing",
		pkgs:  []string{"internal/store/storetest"},
		may:   cat([]string{"internal/store/...", "internal/probe", "internal/monitor", "internal/notify", "internal/testkit"}, leaves),
	},
	{
		words: "web imports no probe kind and never app: it serves config, catalog, heartbeat and monitor state and on-call schedules (oncall), and reads the store through its interfaces",
		pkgs:  []string{"internal/web/..."},
		may: cat([]string{"internal/web/...", "internal/config", "internal/catalog", "internal/mute", "internal/heartbeat/...", "internal/monitor",
			"internal/notify", "internal/oncall", "internal/probe", "internal/change", "internal/audit", "internal/alertmanager"}, storeContracts, leaves),
	},
	{
		words: "web/webcore is what the web packages share (the app's live state, pagination, JSON, the postmortem draft the API and the pages both show, the incident actions both take through incident): it imports no other web package, so the root and every audience may import it",
		pkgs:  []string{"internal/web/webcore"},
		may: cat([]string{"internal/config", "internal/catalog", "internal/mute", "internal/heartbeat", "internal/monitor", "internal/oncall", "internal/probe", "internal/change",
			"internal/postmortem", "internal/incident", "internal/audit", "internal/alertmanager"},
			storeContracts, leaves),
	},
	{
		words: "web/api is the JSON API: it uses webcore and the store's interfaces; it never imports the web root (which mounts it and owns sessions), the pages or ingest",
		pkgs:  []string{"internal/web/api"},
		may: cat([]string{"internal/web/webcore", "internal/config", "internal/catalog", "internal/mute", "internal/heartbeat",
			"internal/notify", "internal/oncall", "internal/probe", "internal/change", "internal/incident", "internal/incident/stats", "internal/postmortem",
			"internal/audit", "internal/alertmanager"}, storeContracts, leaves),
	},
	{
		words: "web/ui is the pages: it uses webcore and the store's interfaces, and postmortem to render postmortems; it never imports the web root (which mounts it and owns sessions, logins and password hashing), the API or ingest",
		pkgs:  []string{"internal/web/ui"},
		may: cat([]string{"internal/web/webcore", "internal/config", "internal/catalog", "internal/mute", "internal/heartbeat/...", "internal/monitor",
			"internal/notify", "internal/oncall", "internal/probe", "internal/change", "internal/incident", "internal/incident/stats", "internal/postmortem",
			"internal/audit"}, storeContracts, leaves),
	},
	{
		words: "web/ingest is the hot path without sessions (pings, later agent results): it imports heartbeat and shared leaves; no store, no other web package, no login",
		pkgs:  []string{"internal/web/ingest"},
		may:   cat([]string{"internal/heartbeat"}, leaves),
	},
	{
		words: "webtest is the web layer's test harness: only tests import it; it builds the whole server with web.New over a real store, with every probe kind",
		pkgs:  []string{"internal/web/webtest"},
		may: cat([]string{"internal/web/...", "internal/config", "internal/catalog", "internal/mute", "internal/heartbeat/...", "internal/monitor",
			"internal/notify", "internal/probe/...", "internal/store/..."}, leaves),
		onlyTests: true,
	},
	{
		words: "importers map another tool's monitors to a configuration fragment: importer and its sources import config (to check what they write) and shared leaves; no probe kind, no notify, no store, no engine, no web",
		pkgs:  []string{"internal/importer/..."},
		may:   cat([]string{"internal/importer", "internal/config"}, leaves),
	},
	{
		words: "only internal/app wires: app may import every package, and nothing but cmd/tocsin, bench harnesses and runnable examples imports app",
		pkgs:  []string{"internal/app/..."},
		may:   []string{"..."},
	},
	{
		words: "commands, benchmark harnesses and runnable examples run the whole program: they may import anything",
		pkgs:  []string{"cmd/...", "bench/...", "examples/..."},
		may:   []string{"..."},
	},
}

// pending are the known imports against the rules that are being removed
// right now. Delete an entry when its fix merges: the test fails while an
// entry names an import that no longer exists. Never add one for new code.
var pending = []exception{}
