package config

import (
	"regexp"
	"time"
)

// Defaults of the alertmanager and audit sections.
const (
	// DefaultServiceLabel is the label naming the service of an alert
	// Alertmanager sends.
	DefaultServiceLabel = "service"
	// DefaultAuditRetention is how long audit entries are kept: a year
	// and a margin, so last year's review can still be answered.
	DefaultAuditRetention = 400 * 24 * time.Hour
)

// Alertmanager configures POST /api/v1/alertmanager, where Prometheus
// Alertmanager's webhook receiver delivers alerts (docs/alertmanager.md).
type Alertmanager struct {
	// ServiceLabel is the label whose value is the id of the service an
	// alert belongs to. Default "service".
	ServiceLabel string `yaml:"service_label"`
	// DefaultService, when set, takes the alerts without the label;
	// without it such an alert is refused.
	DefaultService string `yaml:"default_service"`
}

// Audit configures the audit log (docs/security.md).
type Audit struct {
	// Retention is how long entries are kept. Default 400d.
	Retention Duration `yaml:"retention"`
}

// labelName is a Prometheus label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// alertmanagerDefaults fills in the alertmanager and audit sections.
func (l *loader) alertmanagerDefaults(cfg *Config) {
	if cfg.Alertmanager.ServiceLabel == "" {
		cfg.Alertmanager.ServiceLabel = DefaultServiceLabel
	}
	setDuration(&cfg.Audit.Retention, DefaultAuditRetention, l.ix.has("audit.retention"))
}

// validateAlertmanager checks the service label is a label name and the
// default service a service, and that audit entries are kept a while.
func (l *loader) validateAlertmanager(cfg *Config, services map[string]string) {
	am := &cfg.Alertmanager
	if !labelName.MatchString(am.ServiceLabel) {
		l.errAt("alertmanager.service_label", "%q is not a label name (letters, digits and _, not starting with a digit)", am.ServiceLabel)
	}
	if am.DefaultService != "" {
		if _, ok := services[am.DefaultService]; !ok {
			l.errAt("alertmanager.default_service", "undefined service %q", am.DefaultService)
		}
	}
	l.positive("audit.retention", cfg.Audit.Retention)
}
