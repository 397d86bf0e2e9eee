package config

import (
	"os"
	"regexp"
	"strings"
)

// reReplicaID is what a replica id may be: a host name's letters, so the
// default (the host name) passes, and nothing a log line or a terminal
// would misread.
var reReplicaID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// replicaIDPattern says reReplicaID in words for error messages.
const replicaIDPattern = "letters, digits, '.', '_' and '-', at most 63 characters, starting with a letter or digit"

// ReplicaName is the id this process goes by among the replicas sharing a
// database: ReplicaID, else the host name (cut to what an id may hold),
// else "tocsin".
func (s Server) ReplicaName() string {
	if s.ReplicaID != "" {
		return s.ReplicaID
	}
	host, _ := os.Hostname()
	return replicaNameFromHost(host)
}

// replicaNameFromHost turns a host name into a valid replica id: the
// characters an id cannot hold become '-', and it is cut to 63.
func replicaNameFromHost(host string) string {
	var b strings.Builder
	for _, r := range host {
		switch {
		case b.Len() >= 63:
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && (r == '.' || r == '_' || r == '-'):
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "tocsin"
	}
	return b.String()
}

func (l *loader) validateReplica(s *Server) {
	if s.ReplicaID != "" && !reReplicaID.MatchString(s.ReplicaID) {
		l.errAt("server.replica_id", "invalid replica id %q: use %s", s.ReplicaID, replicaIDPattern)
	}
	if d := s.LeaseTTL.D(); d < MinLeaseTTL || d > MaxLeaseTTL {
		l.errAt("server.lease_ttl", "must be from %s to %s, not %s", Duration(MinLeaseTTL), Duration(MaxLeaseTTL), s.LeaseTTL)
	}
}
