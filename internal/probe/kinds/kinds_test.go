package kinds

import (
	"testing"

	"github.com/tocsin/tocsin/internal/config"
)

func TestHostAndCommandHosts(t *testing.T) {
	kinds := All(Deps{})
	for _, tc := range []struct {
		m    config.Monitor
		want string
	}{
		{config.Monitor{ID: "a", SSH: &config.SSHCheck{SSHConnection: config.SSHConnection{Address: "files.example.org"}}}, "files.example.org"},
		{config.Monitor{ID: "b", SFTP: &config.SFTPCheck{SSHConnection: config.SSHConnection{Address: "[2001:db8::1]:2222"}}}, "2001:db8::1"},
		{config.Monitor{ID: "c", ICMP: &config.ICMPCheck{Host: "192.0.2.1"}}, "192.0.2.1"},
		{config.Monitor{ID: "d", Command: &config.CommandCheck{Path: "/bin/true"}}, "localhost"},
	} {
		if got := kinds.Host(&tc.m); got != tc.want {
			t.Errorf("Host(%s) = %q, want %q", tc.m.ID, got, tc.want)
		}
	}
}
