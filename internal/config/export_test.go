package config

// testKinds is the table of monitor types the tests load with: the real
// one, which kinds_ext_test.go, an external test free to import the probe
// kinds config itself may not, hands in before any test runs.
var testKinds Kinds

// UseKinds sets the table of monitor types the tests load with.
func UseKinds(k Kinds) { testKinds = k }
