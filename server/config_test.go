package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigPrecedence(t *testing.T) {
	file := writeFile(t, "tickwire.toml", `
# a host's settings
addr = "127.0.0.1:9000"
tick-rate = 30
access-ttl = "20s"
origins = ["https://a.example", "https://b.example/"]
trusted-proxies = "10.0.0.0/8, 192.0.2.7"
registration = "invite"
msg-rate = 12.5
`)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	parse := func(args ...string) server.Config {
		t.Helper()
		c, _, err := server.ParseConfig("serve", args, getenv, &bytes.Buffer{})
		if err != nil {
			t.Fatalf("parse %v with env %v: %v", args, env, err)
		}
		return c
	}

	t.Run("defaults alone", func(t *testing.T) {
		c := parse()
		if c.TickRate != 20 || c.Addr != ":8080" || c.Registration != "open" || len(c.TrustedProxies) != 0 || c.ConfigFile != "" {
			t.Fatalf("defaults = %+v", c)
		}
	})
	t.Run("the file overrides defaults", func(t *testing.T) {
		c := parse("--config", file)
		if c.TickRate != 30 || c.Addr != "127.0.0.1:9000" || c.AccessTTL != 20*time.Second || c.Registration != "invite" || c.MsgRate != 12.5 {
			t.Fatalf("from file: %+v", c)
		}
		if strings.Join(c.Origins, " ") != "https://a.example https://b.example" {
			t.Fatalf("origins from an array = %q", c.Origins)
		}
		if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.0.2.7/32" {
			t.Fatalf("trusted proxies = %v", c.TrustedProxies)
		}
		if c.ConfigFile != file {
			t.Fatalf("ConfigFile = %q", c.ConfigFile)
		}
	})
	t.Run("TICKWIRE_CONFIG names the file too", func(t *testing.T) {
		env = map[string]string{"TICKWIRE_CONFIG": file}
		defer func() { env = map[string]string{} }()
		if c := parse(); c.TickRate != 30 {
			t.Fatalf("tick rate %d, want 30 from the file", c.TickRate)
		}
	})
	t.Run("the environment overrides the file", func(t *testing.T) {
		env = map[string]string{"TICKWIRE_TICK_RATE": "40"}
		defer func() { env = map[string]string{} }()
		c := parse("--config", file)
		if c.TickRate != 40 || c.Addr != "127.0.0.1:9000" {
			t.Fatalf("env over file: tick %d addr %s", c.TickRate, c.Addr)
		}
	})
	t.Run("flags override the environment", func(t *testing.T) {
		env = map[string]string{"TICKWIRE_TICK_RATE": "40", "TICKWIRE_REGISTRATION": "closed"}
		defer func() { env = map[string]string{} }()
		c := parse("--config", file, "--tick-rate", "50")
		if c.TickRate != 50 || c.Registration != "closed" {
			t.Fatalf("flag over env: tick %d registration %s", c.TickRate, c.Registration)
		}
	})
}

// TestBadSettingsExitTwo runs `tickwire serve` through Main with one bad setting at a time:
// each must exit 2 with exactly one line that names the flag.
func TestBadSettingsExitTwo(t *testing.T) {
	data := t.TempDir()
	goodCert, goodKey := selfSignedFiles(t)
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		file  string
		names string
	}{
		{"flag out of range", []string{"--tick-rate", "0"}, nil, "", "--tick-rate"},
		{"flag not a duration", []string{"--access-ttl", "soon"}, nil, "", "--access-ttl"},
		{"access outliving refresh", []string{"--access-ttl", "2h", "--refresh-ttl", "1h"}, nil, "", "--access-ttl"},
		{"access outliving refresh by env", nil, map[string]string{"TICKWIRE_ACCESS_TTL": "200h"}, "", "--refresh-ttl"},
		{"seat grace of zero", []string{"--seat-grace", "0s"}, nil, "", "--seat-grace"},
		{"one hashing slot, which sign-ups could fill", []string{"--hash-concurrency", "1"}, nil, "", "--hash-concurrency"},
		{"a provider retried too late", []string{"--oidc-retry", "5m"}, nil, "", "--oidc-retry"},
		{"registration burst of zero", []string{"--register-addr-burst", "0"}, nil, "", "--register-addr-burst"},
		{"guest retention under an hour", []string{"--guest-retention", "5m"}, nil, "", "--guest-retention"},
		{"lobbies per address of zero", []string{"--max-lobbies-per-addr", "0"}, nil, "", "--max-lobbies-per-addr"},
		{"guest refill not a duration", nil, map[string]string{"TICKWIRE_GUEST_ADDR_EVERY": "often"}, "", "TICKWIRE_GUEST_ADDR_EVERY"},
		{"env not a number", nil, map[string]string{"TICKWIRE_MAX_CONNS": "many"}, "", "TICKWIRE_MAX_CONNS"},
		{"env bad CIDR", nil, map[string]string{"TICKWIRE_TRUSTED_PROXIES": "10.0.0.0/33"}, "", "--trusted-proxies"},
		{"bad registration mode", []string{"--registration", "sometimes"}, nil, "", "--registration"},
		{"bad address", []string{"--addr", "localhost"}, nil, "", "--addr"},
		{"bad origin", []string{"--origins", "example.com"}, nil, "", "--origins"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "", "--log-format"},
		{"file bad value", nil, nil, "tick-rate = 500\n", "--tick-rate"},
		{"file unknown key", nil, nil, "tickrate = 5\n", "tickrate"},
		{"file syntax error", nil, nil, "addr = \n", "--config"},
		{"file table", nil, nil, "[server]\naddr = \":1\"\n", "server"},
		{"missing file", []string{"--config", filepath.Join(data, "nope.toml")}, nil, "", "--config"},
		{"unknown flag", []string{"--tick", "5"}, nil, "", "-tick"},
		{"cert without key", []string{"--tls-cert", goodCert}, nil, "", "--tls-key"},
		{"unreadable cert", []string{"--tls-cert", filepath.Join(data, "none.pem"), "--tls-key", goodKey}, nil, "", "--tls-cert"},
		{"stray argument", []string{"now"}, nil, "", "serve"},
		{"NATS without a public URL", []string{"--nats", "nats://127.0.0.1:4222"}, nil, "", "--public-url"},
		{"not a NATS URL", []string{"--nats", "127.0.0.1:4222", "--public-url", "http://127.0.0.1:8080"}, nil, "", "--nats"},
		{"a game node without NATS", []string{"--role", "game"}, nil, "", "--nats"},
		{"an unknown role", []string{"--role", "lobby"}, nil, "", "--role"},
		{"a node id without NATS", []string{"--node-id", "a"}, nil, "", "--nats"},
		{"an nkey without NATS", []string{"--nats-nkey", "/etc/tickwire/nats.nk"}, nil, "", "--nats"},
		{"a NATS CA without NATS", nil, map[string]string{"TICKWIRE_NATS_CA": "/etc/tickwire/ca.pem"}, "", "--nats"},
		{"a node id with a space", nil, map[string]string{"TICKWIRE_NODE_ID": "node a"}, "", "--node-id"},
		{"a negative cluster grace", []string{"--cluster-grace", "-1s"}, nil, "", "--cluster-grace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, "bad.toml", tc.file))
			}
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := server.Main(ctx, server.Env{Args: args, Stdout: &out, Stderr: &errOut,
				Getenv: func(k string) string { return tc.env[k] }})
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, errOut.String())
			}
			msg := errOut.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") {
				t.Fatalf("want one line, got %q", msg)
			}
			if !strings.Contains(msg, tc.names) {
				t.Fatalf("%q does not name %s", msg, tc.names)
			}
		})
	}
}

// helpSettings returns the flags `tickwire serve --help` lists, with their env and default.
func helpSettings(t *testing.T) map[string]string {
	t.Helper()
	code, out, _ := servertest.RunMain(t, "", "serve", "--help")
	if code != 0 {
		t.Fatalf("serve --help exited %d", code)
	}
	re := regexp.MustCompile(`(?m)^  --([a-z-]+)[^\n]*\n\s+.*\(env (TICKWIRE_[A-Z_]+), default ([^)]*)\)$`)
	got := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		got[m[1]] = m[2] + " " + m[3]
	}
	if len(got) == 0 {
		t.Fatalf("no settings in help:\n%s", out)
	}
	return got
}

func TestServeHelpListsEverySetting(t *testing.T) {
	got := helpSettings(t)
	want := []string{"config", "addr", "data", "access-ttl", "refresh-ttl", "origins", "tick-rate", "tls-cert", "tls-key",
		"trusted-proxies", "registration", "metrics-addr", "public-metrics", "sync-interval", "log-format", "log-level",
		"max-conns", "max-conns-per-addr", "max-conns-per-account", "shutdown-timeout"}
	for _, name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("--help lacks --%s", name)
		}
	}
	for name, envDef := range got {
		env := strings.Fields(envDef)[0]
		if want := "TICKWIRE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")); env != want {
			t.Errorf("--%s is documented with env %s, want %s", name, env, want)
		}
	}
	// Every setting listed is one ParseConfig accepts, with the default shown.
	for name, envDef := range got {
		if name == "config" {
			continue
		}
		def := strings.Trim(strings.SplitN(envDef, " ", 2)[1], `"`)
		if def == "none" {
			def = ""
		}
		if _, _, err := server.ParseConfig("serve", []string{"--" + name + "=" + def}, func(string) string { return "" }, &bytes.Buffer{}); err != nil &&
			!strings.Contains(err.Error(), "tls-") {
			t.Errorf("--%s=%q (its documented default) is refused: %v", name, def, err)
		}
	}
	_, _, err := server.ParseConfig("serve", []string{"-h"}, func(string) string { return "" }, &bytes.Buffer{})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

// TestHostingDocCoversEverySetting keeps HOSTING.md's table in step with the flags.
func TestHostingDocCoversEverySetting(t *testing.T) {
	doc, err := os.ReadFile("../HOSTING.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, envDef := range helpSettings(t) {
		if !bytes.Contains(doc, []byte("`--"+name+"`")) {
			t.Errorf("HOSTING.md does not document --%s", name)
		}
		if env := strings.Fields(envDef)[0]; !bytes.Contains(doc, []byte(env)) {
			t.Errorf("HOSTING.md does not name %s", env)
		}
	}
}

// TestStartLogsEffectiveConfiguration starts the server through Main with settings from all
// three sources and checks the start-up line reports each one's effective value.
func TestStartLogsEffectiveConfiguration(t *testing.T) {
	file := writeFile(t, "t.toml", "tick-rate = 33\nseat-grace = \"7s\"\n")
	m := servertest.StartMain(t, []string{"--config", file, "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-format", "json", "--seat-grace", "9s"},
		map[string]string{"TICKWIRE_ACCESS_TTL": "42s", "TICKWIRE_TICK_RATE": "34"})
	if code := m.Stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, m.Stderr.String())
	}
	var line map[string]any
	for l := range strings.SplitSeq(m.Stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "configuration" {
			line = rec
		}
	}
	if line == nil {
		t.Fatalf("no configuration line in %s", m.Stderr.String())
	}
	for k, v := range map[string]string{"tick-rate": "34", "seat-grace": "9s", "access-ttl": "42s", "registration": "open", "config": file} {
		if line[k] != v {
			t.Errorf("logged %s = %v, want %s", k, line[k], v)
		}
	}
	for name := range helpSettings(t) {
		if _, ok := line[name]; !ok {
			t.Errorf("the configuration line lacks %s", name)
		}
	}
}

// TestASwitchNeedsNoValue: --public-metrics alone turns it on, and it may be given a value too,
// from the command line, the environment or the file.
func TestASwitchNeedsNoValue(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false},
		{[]string{"--public-metrics"}, "", true},
		{[]string{"--public-metrics=false"}, "true", false},
		{nil, "true", true},
	} {
		cfg, _, err := server.ParseConfig("serve", c.args, func(k string) string {
			if k == "TICKWIRE_PUBLIC_METRICS" {
				return c.env
			}
			return ""
		}, io.Discard)
		if err != nil || cfg.PublicMetrics != c.want {
			t.Errorf("%v with env %q: PublicMetrics %v, %v; want %v", c.args, c.env, cfg.PublicMetrics, err, c.want)
		}
	}
	if _, _, err := server.ParseConfig("serve", []string{"--public-metrics=maybe"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("--public-metrics=maybe accepted")
	}
}
