package server

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/tickwire/tickwire/auth/oidc"
)

// oidcKey is the --config file's key for the [[oidc]] provider tables.
const oidcKey = "oidc"

// oidcTableKeys are the keys an [[oidc]] table may hold.
var oidcTableKeys = []string{"name", "display_name", "issuer", "client_id", "client_secret", "client_secret_file", "scopes"}

// oidcSecretEnv names the environment variable that may hold a provider's client secret.
func oidcSecretEnv(name string) string {
	return "TICKWIRE_OIDC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_CLIENT_SECRET"
}

// parseOIDC reads the [[oidc]] tables of the config file at path into provider configurations,
// refusing with one line naming the table and key anything a host would want to hear about.
func parseOIDC(path string, raw any, getenv func(string) string) ([]oidc.Config, error) {
	if raw == nil {
		return nil, nil
	}
	tables := raw.([]map[string]any)
	var out []oidc.Config
	for i, t := range tables {
		where := fmt.Sprintf("--config %s: [[oidc]] table %d", path, i+1)
		fail := func(format string, a ...any) error { return &FlagError{where + ": " + fmt.Sprintf(format, a...)} }
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		str := map[string]string{}
		var scopes []string
		for _, k := range keys {
			if !slices.Contains(oidcTableKeys, k) {
				return nil, fail("unknown key %q (known: %s)", k, strings.Join(oidcTableKeys, ", "))
			}
			if k == "scopes" {
				arr, ok := t[k].([]any)
				if !ok {
					return nil, fail("scopes must be an array of strings")
				}
				for _, v := range arr {
					sv, ok := v.(string)
					if !ok || sv == "" || strings.ContainsAny(sv, " \t\n") {
						return nil, fail("scopes must be an array of strings without spaces")
					}
					scopes = append(scopes, sv)
				}
				continue
			}
			v, ok := t[k].(string)
			if !ok {
				return nil, fail("%s must be a string", k)
			}
			str[k] = v
		}
		c := oidc.Config{Name: str["name"], DisplayName: str["display_name"], Issuer: str["issuer"], ClientID: str["client_id"], Scopes: scopes}
		if !oidc.ValidName(c.Name) {
			return nil, fail("name %q must be 1 to 32 of a-z 0-9 - (it is used in URLs)", c.Name)
		}
		where = fmt.Sprintf("--config %s: [[oidc]] %s", path, c.Name)
		for _, o := range out {
			if o.Name == c.Name {
				return nil, fail("the name is used by another [[oidc]] table")
			}
		}
		if c.DisplayName == "" {
			c.DisplayName = c.Name
		}
		if len(c.DisplayName) > 64 {
			return nil, fail("display_name is longer than 64 bytes")
		}
		u, err := url.Parse(c.Issuer)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fail("issuer %q is not a URL like https://id.example.com/", c.Issuer)
		}
		if u.Scheme != "https" && (u.Scheme != "http" || !loopbackHost(u.Hostname())) {
			return nil, fail("issuer %q must be https (plain http only on loopback, for tests)", c.Issuer)
		}
		if c.ClientID == "" {
			return nil, fail("client_id is required")
		}
		if scopes != nil && !slices.Contains(scopes, "openid") {
			return nil, fail("scopes must include openid")
		}
		_, hasSecret := str["client_secret"]
		file, hasFile := str["client_secret_file"]
		if hasSecret && hasFile {
			return nil, fail("client_secret and client_secret_file go separately: set one")
		}
		env := oidcSecretEnv(c.Name)
		switch {
		case getenv(env) != "":
			c.ClientSecret = getenv(env)
		case hasFile:
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fail("client_secret_file: %v", err)
			}
			c.ClientSecret = strings.TrimRight(string(b), "\r\n")
		default:
			c.ClientSecret = str["client_secret"]
		}
		if c.ClientSecret == "" {
			return nil, fail("no client secret: set client_secret, client_secret_file or %s", env)
		}
		out = append(out, c)
	}
	return out, nil
}

func loopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}
