package server_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// TestAuthLimitsAreSettings: every hashing and throttle limit has a default, a flag and an
// environment variable, and a bad value is refused naming its flag.
func TestAuthLimitsAreSettings(t *testing.T) {
	d := server.DefaultConfig()
	if d.HashConcurrency != 4 || d.HashQueue != 64 || d.HashWait != 2*time.Second ||
		d.LoginAddrBurst != 45 || d.LoginAddrEvery != 2*time.Second ||
		d.LoginAcctBurst != 30 || d.LoginAcctEvery != 30*time.Second || d.LoginTrackedKeys != 65536 {
		t.Errorf("defaults %+v", d)
	}
	env := map[string]string{"TICKWIRE_LOGIN_ADDR_BURST": "7", "TICKWIRE_HASH_WAIT": "750ms"}
	c, _, err := server.ParseConfig("serve", []string{"--login-account-every", "1m", "--hash-queue", "0", "--login-addr-burst", "9"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.LoginAddrBurst != 9 || c.HashWait != 750*time.Millisecond || c.LoginAcctEvery != time.Minute || c.HashQueue != 0 {
		t.Errorf("parsed %+v", c)
	}
	for _, bad := range [][]string{
		{"--hash-queue", "-1"}, {"--hash-wait", "soon"}, {"--login-addr-burst", "0"},
		{"--login-addr-every", "0s"}, {"--login-account-burst", "x"}, {"--login-account-every", "-1s"},
		{"--login-tracked-keys", "1"},
	} {
		_, _, err := server.ParseConfig("serve", bad, func(string) string { return "" }, io.Discard)
		var fe *server.FlagError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, strings.TrimPrefix(bad[0], "--")) || strings.Contains(fe.Msg, "\n") {
			t.Errorf("%v: %v, want one line naming the flag", bad, err)
		}
	}
	_, _, err = server.ParseConfig("serve", nil, func(k string) string {
		if k == "TICKWIRE_LOGIN_ACCOUNT_BURST" {
			return "lots"
		}
		return ""
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--login-account-burst") {
		t.Errorf("a bad environment value: %v", err)
	}
}
