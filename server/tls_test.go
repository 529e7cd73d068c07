package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// selfSigned makes a certificate for 127.0.0.1, 127.0.0.2 (the proxy tests) and localhost, valid for an hour.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tickwire test"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)},
		DNSNames:              []string{"localhost"},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), pool
}

func selfSignedFiles(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	c, k, _ := selfSigned(t)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, c, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestTLSServesHTTPSAndWSS runs the server with a certificate the test made and checks HTTPS
// (with HSTS and the security headers), a wss socket through gorilla's Dialer, and that plain
// HTTP to the TLS port gets nothing useful.
func TestTLSServesHTTPSAndWSS(t *testing.T) {
	certPEM, keyPEM, pool := selfSigned(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	srv := servertest.Start(t, func(c *server.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	base := srv.URL()
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https on 127.0.0.1", base)
	}
	tlsConf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second}

	t.Run("pages carry HSTS and the security headers", func(t *testing.T) {
		for _, path := range []string{"/", "/healthz", "/api/v1/lobbies"} {
			resp, err := hc.Get(base + path)
			if err != nil {
				t.Fatalf("GET %s over TLS: %v", path, err)
			}
			resp.Body.Close()
			h := resp.Header
			if got := h.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
				t.Errorf("%s: Strict-Transport-Security = %q", path, got)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: security headers missing: %v", path, h)
			}
		}
	})

	t.Run("an untrusting client refuses the certificate", func(t *testing.T) {
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Fatal("a client without the test CA accepted the certificate")
		}
	})

	t.Run("plain HTTP on the TLS port is not served", func(t *testing.T) {
		resp, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/healthz")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("plain HTTP got 200 from the TLS listener")
			}
		}
	})

	t.Run("register, log in and open a wss socket", func(t *testing.T) {
		access, _ := servertest.SignUp(t, hc, base, "tlsplayer", "correct horse")
		d := &websocket.Dialer{TLSClientConfig: tlsConf, HandshakeTimeout: 5 * time.Second}
		ws, resp, err := servertest.DialWelcome(t, d, servertest.WSURL(base), access, nil)
		if err != nil {
			t.Fatalf("wss dial: %v (resp %v)", err, resp)
		}
		defer ws.Close()
		// Behind TLS the server reads frames through the connection: a request cut into
		// fragments, written a few bytes at a time, and a run of requests in one write.
		p := pingRequest(t, 5, 300)
		frames := append(clientFrame(binOp, p[:100], false), clientFrame(fin|contOp, p[100:], false)...)
		for i := 0; i < len(frames); i += 7 {
			if _, err := ws.NetConn().Write(frames[i:min(i+7, len(frames))]); err != nil {
				t.Fatal(err)
			}
		}
		expectPong(t, ws, 5)
		var run []byte
		for id := uint64(10); id < 30; id++ {
			run = append(run, clientFrame(fin|binOp, pingRequest(t, id, 40), false)...)
		}
		if _, err := ws.NetConn().Write(run); err != nil {
			t.Fatal(err)
		}
		for id := uint64(10); id < 30; id++ {
			expectPong(t, ws, id)
		}
		// The same dial without the test's CA must fail: the socket really is wss.
		if ws, _, err := servertest.DialWelcome(t, &websocket.Dialer{HandshakeTimeout: 5 * time.Second}, servertest.WSURL(base), access, nil); err == nil {
			ws.Close()
			t.Fatal("a wss dial that does not trust the certificate succeeded")
		}
		// A browser page of this origin may open its socket: the server's own origin is https.
		ws2, _, err := servertest.DialWelcome(t, d, servertest.WSURL(base), access, http.Header{"Origin": {base}})
		if err != nil {
			t.Fatalf("wss dial with the server's own https origin: %v", err)
		}
		ws2.Close()
	})
}

// TestPlainHTTPHasNoHSTS: HSTS on plain HTTP would be ignored at best and wrong at worst.
func TestPlainHTTPHasNoHSTS(t *testing.T) {
	srv := servertest.Start(t, nil)
	resp, err := http.Get(srv.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Fatalf("HSTS over plain HTTP: %q", h)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("security headers missing on the landing page")
	}
}
