package config

import "testing"

func TestJoinFieldErrors(t *testing.T) {
	if JoinFieldErrors("http", nil) != nil {
		t.Error("no problems should be no error")
	}
	err := JoinFieldErrors("http", []FieldError{{"url", "url is required"}, {"", "block problem"}})
	if want := "http check: url: url is required; block problem"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
