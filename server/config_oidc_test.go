package server_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tickwire.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigOIDCProviders(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, `
addr = ":9000"
[[oidc]]
name = "acme"
display_name = "Acme ID"
issuer = "https://id.acme.example/"
client_id = "tickwire"
client_secret = "inline"

[[oidc]]
name = "kc"
issuer = "https://kc.example/realms/game"
client_id = "tw"
client_secret_file = "`+secretFile+`"
scopes = ["openid", "profile"]

[[oidc]]
name = "g-2"
display_name = "Google"
issuer = "https://accounts.google.com"
client_id = "id.apps.googleusercontent.com"
`)
	env := map[string]string{"TICKWIRE_OIDC_G_2_CLIENT_SECRET": "from-env"}
	c, _, err := server.ParseConfig("serve", []string{"--config", path, "--public-url", "https://play.example.com/"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://play.example.com" || len(c.OIDC) != 3 {
		t.Fatalf("public url %q, providers %+v", c.PublicURL, c.OIDC)
	}
	a, k, g := c.OIDC[0], c.OIDC[1], c.OIDC[2]
	if a.DisplayName != "Acme ID" || a.ClientSecret != "inline" || a.Scopes != nil {
		t.Errorf("acme: %+v", a)
	}
	if k.DisplayName != "kc" || k.ClientSecret != "from-file" || strings.Join(k.Scopes, " ") != "openid profile" {
		t.Errorf("kc: %+v", k)
	}
	if g.ClientSecret != "from-env" {
		t.Errorf("g-2 secret from the environment: %q", g.ClientSecret)
	}
	if c.OIDCTimeout.String() != "10s" || c.OIDCRetry.String() != "10s" || c.OIDCMaxPending != 10000 || c.OIDCAddrBurst != 30 || c.OIDCAddrEvery.String() != "2s" {
		t.Errorf("defaults: %v %v %d %d %v", c.OIDCTimeout, c.OIDCRetry, c.OIDCMaxPending, c.OIDCAddrBurst, c.OIDCAddrEvery)
	}
	var help strings.Builder
	_, _, err = server.ParseConfig("serve", []string{"--help"}, func(string) string { return "" }, &help)
	if err == nil || !strings.Contains(help.String(), "[[oidc]]") || !strings.Contains(help.String(), "--public-url") || !strings.Contains(help.String(), "--oidc-max-pending") {
		t.Errorf("help lacks the OpenID Connect settings")
	}
	if strings.Contains(strings.Join(func() []string {
		var s []string
		for _, v := range c.LogAttrs() {
			if str, ok := v.(string); ok {
				s = append(s, str)
			}
		}
		return s
	}(), " "), "inline") {
		t.Error("a client secret is in the start-up log attributes")
	}
}

func TestConfigOIDCRefusals(t *testing.T) {
	base := "issuer = \"https://id.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n"
	for _, c := range []struct{ what, body, want string }{
		{"bad name", "[[oidc]]\nname = \"Acme\"\n" + base, "name \"Acme\""},
		{"no name", "[[oidc]]\n" + base, "name \"\""},
		{"duplicate", "[[oidc]]\nname = \"a\"\n" + base + "[[oidc]]\nname = \"a\"\n" + base, "used by another"},
		{"http issuer", "[[oidc]]\nname = \"a\"\nissuer = \"http://id.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n", "must be https"},
		{"no client id", "[[oidc]]\nname = \"a\"\nissuer = \"https://id.example\"\nclient_secret = \"s\"\n", "client_id is required"},
		{"no secret", "[[oidc]]\nname = \"a\"\nissuer = \"https://id.example\"\nclient_id = \"c\"\n", "TICKWIRE_OIDC_A_CLIENT_SECRET"},
		{"two secrets", "[[oidc]]\nname = \"a\"\n" + base + "client_secret_file = \"/x\"\n", "set one"},
		{"missing secret file", "[[oidc]]\nname = \"a\"\nissuer = \"https://id.example\"\nclient_id = \"c\"\nclient_secret_file = \"/no/such/file\"\n", "client_secret_file"},
		{"no openid scope", "[[oidc]]\nname = \"a\"\n" + base + "scopes = [\"profile\"]\n", "openid"},
		{"unknown key", "[[oidc]]\nname = \"a\"\n" + base + "secret = \"x\"\n", "unknown key \"secret\""},
		{"not a table array", "oidc = \"x\"\n", "[[oidc]]"},
	} {
		t.Run(c.what, func(t *testing.T) {
			_, _, err := server.ParseConfig("serve", []string{"--config", writeConfig(t, c.body)}, func(string) string { return "" }, io.Discard)
			var fe *server.FlagError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want a one-line refusal mentioning %q", err, c.want)
			}
		})
	}
	for _, bad := range []string{"play.example.com", "https://play.example.com/game", "ftp://x"} {
		if _, _, err := server.ParseConfig("serve", []string{"--public-url", bad}, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("--public-url %q accepted", bad)
		}
	}
}
