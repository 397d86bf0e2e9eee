package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/tocsin/tocsin/internal/config"
)

// ClientConfig builds the client side of TLS for a probe from its config
// block, loading the CA file and the client certificate once. serverName is
// the name to verify and send as SNI when the block does not set one; "" lets
// the caller (net/http) fill it in from the URL. c may be nil.
func ClientConfig(c *config.TLSClient, serverName string) (*tls.Config, error) {
	conf := &tls.Config{ServerName: serverName}
	if c == nil {
		return conf, nil
	}
	if c.ServerName != "" {
		conf.ServerName = c.ServerName
	}
	conf.InsecureSkipVerify = c.InsecureSkipVerify
	if c.CAFile != "" {
		pool, err := LoadCAFile(c.CAFile)
		if err != nil {
			return nil, err
		}
		conf.RootCAs = pool
	}
	switch {
	case c.CertFile != "" && c.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading client certificate %s with key %s: %w", c.CertFile, c.KeyFile, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	case c.CertFile != "":
		return nil, fmt.Errorf("client certificate %s is given without key_file", c.CertFile)
	case c.KeyFile != "":
		return nil, fmt.Errorf("client key %s is given without cert_file", c.KeyFile)
	}
	return conf, nil
}

// LoadCAFile reads a PEM file of one or more CA certificates into a pool.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificates", path)
	}
	return pool, nil
}
