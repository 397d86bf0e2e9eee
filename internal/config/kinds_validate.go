package config

// Validate reports problems in the http block.
func (c *HTTPCheck) Validate() []FieldError { return nil }

// Validate reports problems in the tcp block.
func (c *TCPCheck) Validate() []FieldError { return nil }

// Validate reports problems in the tls block.
func (c *TLSCheck) Validate() []FieldError { return nil }

// Validate reports problems in the dns block.
func (c *DNSCheck) Validate() []FieldError { return nil }
