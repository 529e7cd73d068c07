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
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// TestRefreshCookieFlow is a browser's session: login sets the cookie, /refresh takes it alone
// and rotates it, a replayed cookie ends the session and is dropped, logout clears it.
func TestRefreshCookieFlow(t *testing.T) {
	srv := servertest.Start(t, nil)
	h := servertest.NewClient(t, srv.URL(), "")
	jar, _ := cookiejar.New(nil)
	h.HTTP.Jar = jar
	h.Register("alice", "correct horse")
	first := h.Login("alice", "correct horse")

	r := h.Do("POST", "/api/v1/auth/refresh", "", nil)
	var second servertest.Tokens
	r.Decode(t, &second)
	if r.Status != 200 || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh by cookie: %d %s", r.Status, r.Body)
	}
	wantRefreshCookie(t, r, second.RefreshToken, false)
	r = h.Do("POST", "/api/v1/auth/refresh", "", `{}`)
	var third servertest.Tokens
	r.Decode(t, &third)
	if r.Status != 200 {
		t.Fatalf("refresh by cookie with an empty body: %d %s", r.Status, r.Body)
	}

	// A stolen copy of an old cookie, replayed: the session ends and the cookie is dropped.
	r = h.Do("POST", "/api/v1/auth/refresh", "", nil, func(q *http.Request) {
		q.Header.Set("Cookie", "tickwire_refresh="+first.RefreshToken)
	})
	servertest.WantError(t, "replayed cookie", r, 401, wire.CodeTokenRevoked)
	wantClearedCookie(t, r)
	servertest.WantError(t, "the newest access after a replay", h.Do("GET", "/api/v1/me", third.AccessToken, nil), 401, wire.CodeTokenRevoked)

	// A new login, then logout clears the cookie: /refresh then has nothing to go on.
	p := h.Login("alice", "correct horse")
	r = h.Do("POST", "/api/v1/auth/logout", p.AccessToken, `{}`)
	if r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	wantClearedCookie(t, r)
	servertest.WantError(t, "refresh after logout", h.Do("POST", "/api/v1/auth/refresh", "", nil), 400, wire.CodeInvalidRequest)
}

// TestRefreshCookieIsSecureUnderTLS serves HTTPS with a certificate made here.
func TestRefreshCookieIsSecureUnderTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	srv := servertest.Start(t, func(c *server.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	h := servertest.NewClient(t, srv.URL(), "")
	h.HTTP.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
	h.Register("alice", "correct horse")
	r := h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "alice", "password": "correct horse"})
	var p servertest.Tokens
	r.Decode(t, &p)
	wantRefreshCookie(t, r, p.RefreshToken, true)
	r = h.Do("POST", "/api/v1/auth/logout", p.AccessToken, nil)
	for _, c := range r.Resp.Cookies() {
		if c.Name == "tickwire_refresh" && !c.Secure {
			t.Errorf("the clearing cookie is not Secure under TLS")
		}
	}
}

func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
