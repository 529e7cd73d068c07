package oidc

import (
	"strings"
	"testing"

	"github.com/tickwire/tickwire/auth"
)

func TestUsernameFor(t *testing.T) {
	for _, c := range []struct {
		claims Claims
		want   string
	}{
		{Claims{PreferredUsername: "alice", Name: "Alice A"}, "alice"},
		{Claims{Name: "José María"}, "Jose-Maria"},
		{Claims{Email: "zoë.smith@example.com"}, "zoe-smith"},
		{Claims{PreferredUsername: "ab", Name: "日本"}, "player"},
		{Claims{PreferredUsername: strings.Repeat("x", 50)}, strings.Repeat("x", 32)},
	} {
		if got := UsernameFor(c.claims, 0); got != c.want || !auth.ValidUsername(got) {
			t.Errorf("UsernameFor(%+v) = %q, want %q", c.claims, got, c.want)
		}
	}
	long := Claims{PreferredUsername: strings.Repeat("y", 40)}
	a, b := UsernameFor(long, 1), UsernameFor(long, 2)
	if a == b || !auth.ValidUsername(a) || !auth.ValidUsername(b) {
		t.Errorf("later attempts %q %q", a, b)
	}
}
