package config

import "testing"

func TestReplicaNameFromHost(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"web-1.example.org", "web-1.example.org"},
		{"", "tocsin"},
		{"..", "tocsin"},
		{"-x", "x"},
		{"münchen 2", "m-nchen-2"},
		{string(make([]byte, 3)) + "a", "a"},
		{"a234567890123456789012345678901234567890123456789012345678901234567890", "a23456789012345678901234567890123456789012345678901234567890123"},
	} {
		got := replicaNameFromHost(c.host)
		if got != c.want {
			t.Errorf("replicaNameFromHost(%q) = %q, want %q", c.host, got, c.want)
		}
		if !reReplicaID.MatchString(got) {
			t.Errorf("replicaNameFromHost(%q) = %q, which is not a valid replica id", c.host, got)
		}
	}
	if got := (Server{ReplicaID: "r2"}).ReplicaName(); got != "r2" {
		t.Errorf("ReplicaName with replica_id set = %q, want r2", got)
	}
}

func TestReplicasExampleLoads(t *testing.T) {
	t.Setenv("TOCSIN_DSN", "postgres://tocsin@db:5432/tocsin")
	cfg, err := Load("../../examples/replicas/tocsin.yaml", testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.Driver != "postgres" || cfg.Server.LeaseTTL.D() != DefaultLeaseTTL {
		t.Fatalf("example: driver %q, lease_ttl %s", cfg.Storage.Driver, cfg.Server.LeaseTTL)
	}
}
