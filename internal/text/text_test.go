package text

import "testing"

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int
		noun string
		want string
	}{
		{0, "day", "0 days"},
		{1, "day", "1 day"},
		{2, "probe mail", "2 probe mails"},
		{-1, "day", "-1 days"},
		{1000, "monitor", "1000 monitors"},
	}
	for _, tt := range tests {
		if got := Plural(tt.n, tt.noun); got != tt.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
