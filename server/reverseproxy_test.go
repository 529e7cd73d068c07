package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// The proxy tests run HOSTING.md's own Caddy and nginx configurations, with a test certificate
// and loopback ports put in, in front of a real server. The proxy listens on 127.0.0.2 and the
// client connects from 127.0.0.3, so that the proxy (which reaches the server from 127.0.0.1,
// the only trusted proxy) and the player have different addresses. .ci/run installs both
// proxies; elsewhere a missing one skips its test.

// docBlock returns the first fenced block of HOSTING.md in the language lang.
func docBlock(t *testing.T, lang string) string {
	t.Helper()
	doc, err := os.ReadFile("../HOSTING.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("HOSTING.md has no %s block", lang)
	}
	return string(m[1])
}

// mustReplace replaces old in s exactly once; it fails when the doc no longer has old.
func mustReplace(t *testing.T, s, old, repl string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("the documented config has %q %d times, want once; update this test with the doc", old, n)
	}
	return strings.Replace(s, old, repl, 1)
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; .ci/run installs it", name)
		}
		t.Skipf("%s is not installed (apt-get install %s); .ci/run installs it", name, name)
	}
	return p
}

// freePort returns a port free on ip at the time of asking.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitListening waits until addr accepts TCP connections or the process exits.
func waitListening(t *testing.T, addr string, cmd *exec.Cmd, errs *servertest.Buffer) {
	t.Helper()
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited: %s", cmd.Path, errs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s is not listening on %s: %s", cmd.Path, addr, errs.String())
}

// playThroughProxy checks a proxy in front of the server: the HTTP port redirects to HTTPS;
// HTTPS answers with HSTS; the server logs the player's address, not the proxy's; a browser
// page's wss socket opens, answers a ping, and sees the 4003 of a logout.
func playThroughProxy(t *testing.T, httpURL, httpsURL string, pool *x509.CertPool, logs *servertest.Buffer) {
	t.Helper()
	local := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}, Timeout: 5 * time.Second}
	tlsConf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc := &http.Client{
		Transport:     &http.Transport{DialContext: local.DialContext, TLSClientConfig: tlsConf},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if httpURL != "" {
		resp, err := hc.Get(httpURL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently && resp.StatusCode != http.StatusPermanentRedirect ||
			!strings.HasPrefix(resp.Header.Get("Location"), "https://") {
			t.Fatalf("plain HTTP: %d to %q, want a redirect to https", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	st, body, h := servertest.Call(t, hc, "GET", httpsURL+"/healthz", "", nil)
	servertest.MustStatus(t, "healthz through the proxy", st, http.StatusOK, body)
	if !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("no HSTS through the proxy: %v", h)
	}
	access, _ := servertest.SignUp(t, hc, httpsURL, "proxyplayer", "correct horse")
	if !strings.Contains(logs.String(), `"path":"/api/v1/auth/login","status":200`) {
		t.Fatalf("no login in the server log:\n%s", logs.String())
	}
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, `"path":"/api/v1/auth/login"`) && !strings.Contains(l, `"ip":"127.0.0.3"`) {
			t.Fatalf("the server logged the proxy's address, not the player's: %s", l)
		}
	}

	d := &websocket.Dialer{NetDialContext: local.DialContext, TLSClientConfig: tlsConf, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := servertest.DialWelcome(t, d, servertest.WSURL(httpsURL), access, http.Header{"Origin": {httpsURL}})
	if err != nil {
		t.Fatalf("wss through the proxy: %v (%v)", err, resp)
	}
	defer ws.Close()
	ping, err := wire.Encode(wire.TypePing, 7, map[string]any{"c": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, ping); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("no pong through the proxy: %v", err)
		}
		if env, err := wire.Decode(b, wire.Limits{}); err == nil && env.T == wire.TypePong {
			break
		}
	}
	st, _, _ = servertest.Call(t, hc, "POST", httpsURL+"/api/v1/auth/logout", access, map[string]string{})
	servertest.MustStatus(t, "logout through the proxy", st, http.StatusNoContent, nil)
	if c := servertest.CloseCode(ws, 5*time.Second); c != wire.CloseRevoked {
		t.Fatalf("the socket closed with %d through the proxy, want 4003", c)
	}
}

func TestNginxConfigFromHostingDoc(t *testing.T) {
	nginx := needTool(t, "nginx")
	certFile, keyFile, pool := proxyCert(t)
	srv := servertest.Start(t, func(c *server.Config) { c.TrustedProxies = mustCIDRs(t, "127.0.0.1") }, servertest.LogJSON)
	logs := srv.Log
	dir := t.TempDir()
	httpPort, tlsPort := freePort(t, "127.0.0.2"), freePort(t, "127.0.0.2")
	site := docBlock(t, "nginx")
	site = mustReplace(t, site, "listen 80;", fmt.Sprintf("listen 127.0.0.2:%d;", httpPort))
	site = mustReplace(t, site, "listen [::]:80;", "")
	site = mustReplace(t, site, "listen 443 ssl;", fmt.Sprintf("listen 127.0.0.2:%d ssl;", tlsPort))
	site = mustReplace(t, site, "listen [::]:443 ssl;", "")
	site = mustReplace(t, site, "/etc/letsencrypt/live/game.example.com/fullchain.pem", certFile)
	site = mustReplace(t, site, "/etc/letsencrypt/live/game.example.com/privkey.pem", keyFile)
	site = mustReplace(t, site, "server 127.0.0.1:8080;", "server "+strings.TrimPrefix(srv.URL(), "http://")+";")
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, site)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", confFile).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t refuses the documented config: %v\n%s", err, out)
	}
	errs := &servertest.Buffer{}
	cmd := exec.Command(nginx, "-p", dir, "-c", confFile)
	cmd.Stderr = errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitListening(t, fmt.Sprintf("127.0.0.2:%d", tlsPort), cmd, errs)
	// No --origins: the page's https origin passes through X-Forwarded-Proto from the proxy.
	playThroughProxy(t, fmt.Sprintf("http://127.0.0.2:%d", httpPort), fmt.Sprintf("https://127.0.0.2:%d", tlsPort), pool, logs)
}

func TestCaddyConfigFromHostingDoc(t *testing.T) {
	caddy := needTool(t, "caddy")
	certFile, keyFile, pool := proxyCert(t)
	dir := t.TempDir()
	tlsPort, httpPort := freePort(t, "127.0.0.2"), freePort(t, "127.0.0.2")
	httpsURL := fmt.Sprintf("https://127.0.0.2:%d", tlsPort)
	srv := servertest.Start(t, func(c *server.Config) {
		c.TrustedProxies = mustCIDRs(t, "127.0.0.1")
		c.Origins = []string{httpsURL}
	}, servertest.LogJSON)
	logs := srv.Log
	site := docBlock(t, "caddyfile")
	site = mustReplace(t, site, "game.example.com {", httpsURL+" {\n\ttls "+certFile+" "+keyFile)
	site = mustReplace(t, site, "reverse_proxy 127.0.0.1:8080", "reverse_proxy "+strings.TrimPrefix(srv.URL(), "http://"))
	conf := fmt.Sprintf("{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.2\n\tstorage file_system %s\n}\n\n%s",
		httpPort, tlsPort, filepath.Join(dir, "storage"), site)
	confFile := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	validate := exec.Command(caddy, "validate", "--adapter", "caddyfile", "--config", confFile)
	validate.Env = env
	if out, err := validate.CombinedOutput(); err != nil {
		t.Fatalf("caddy validate refuses the documented config: %v\n%s", err, out)
	}
	errs := &servertest.Buffer{}
	cmd := exec.CommandContext(context.Background(), caddy, "run", "--adapter", "caddyfile", "--config", confFile)
	cmd.Env, cmd.Stderr, cmd.Stdout = env, errs, errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitListening(t, fmt.Sprintf("127.0.0.2:%d", tlsPort), cmd, errs)
	playThroughProxy(t, "", httpsURL, pool, logs)
}

// proxyCert writes a test certificate for the proxy's address and returns its files and pool.
func proxyCert(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	c, k, pool := selfSigned(t)
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cf, c, 0o644)
	os.WriteFile(kf, k, 0o600)
	return cf, kf, pool
}

// TestSystemdUnitFromHostingDoc has systemd check the documented unit: every directive known
// and well-formed. The sandbox itself needs a running systemd, which tests do not have.
func TestSystemdUnitFromHostingDoc(t *testing.T) {
	analyze := needTool(t, "systemd-analyze")
	unit := docBlock(t, "ini")
	for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=", "SystemCallFilter=@system-service", "StateDirectory=tickwire", "KillSignal=SIGTERM"} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("the unit lacks %s", want)
		}
	}
	self, err := os.Executable() // any executable stands in for the installed binary
	if err != nil {
		t.Fatal(err)
	}
	unit = mustReplace(t, unit, "ExecStart=/usr/local/bin/tickwire ", "ExecStart="+self+" ")
	path := filepath.Join(t.TempDir(), "tickwire.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
