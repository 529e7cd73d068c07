package server

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies, err := parseCIDRs("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		trusted bool
		peer    string
		xff     string
		realIP  string
		want    string
	}{
		{"no proxies: the peer, whatever XFF says", false, "203.0.113.5:1234", "198.51.100.1", "", "203.0.113.5"},
		{"no proxies: X-Real-IP ignored", false, "203.0.113.5:1234", "", "198.51.100.1", "203.0.113.5"},
		{"trusted proxy: the client it forwarded", true, "10.1.2.3:55", "198.51.100.1", "", "198.51.100.1"},
		{"trusted proxy: a bare-address entry", true, "192.0.2.7:55", "198.51.100.1", "", "198.51.100.1"},
		{"untrusted peer sending XFF: the peer", true, "203.0.113.5:1234", "198.51.100.1", "", "203.0.113.5"},
		{"untrusted peer one address beside a trusted one", true, "192.0.2.8:1", "198.51.100.1", "", "192.0.2.8"},
		{"client-forged first entry: the address the proxy saw", true, "10.1.2.3:55", "1.2.3.4, 198.51.100.1", "", "198.51.100.1"},
		{"two trusted hops", true, "10.1.2.3:55", "198.51.100.1, 10.9.9.9", "", "198.51.100.1"},
		{"loopback is not trusted unless listed", true, "127.0.0.1:55", "198.51.100.1", "", "127.0.0.1"},
		{"trusted proxy with X-Real-IP", true, "10.1.2.3:55", "", "198.51.100.2", "198.51.100.2"},
		{"untrusted peer with X-Real-IP", true, "203.0.113.5:1", "", "198.51.100.2", "203.0.113.5"},
		{"garbage XFF from a trusted proxy: the proxy", true, "10.1.2.3:55", "not-an-ip", "", "10.1.2.3"},
		{"IPv6 client through a trusted proxy", true, "10.1.2.3:55", "2001:db8::1", "", "2001:db8::1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var nets = proxies
			if !tc.trusted {
				nets = nil
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := clientIP(nets)(r); got != tc.want {
				t.Fatalf("client address %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRequestScheme(t *testing.T) {
	proxies, _ := parseCIDRs("10.0.0.0/8")
	s := &Server{cfg: Config{TrustedProxies: proxies}}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	r.RemoteAddr = "10.0.0.1:1"
	if got := s.requestScheme(r); got != "https" {
		t.Fatalf("through a trusted TLS proxy: %s", got)
	}
	r.RemoteAddr = "203.0.113.1:1"
	if got := s.requestScheme(r); got != "http" {
		t.Fatalf("X-Forwarded-Proto from an untrusted peer was believed: %s", got)
	}
}

func TestParseCIDRs(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "banana", "10.0.0/8", "::1/129"} {
		if _, err := parseCIDRs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	n, err := parseCIDRs(" 10.0.0.0/8 ,, ::1 ,fd00::/8")
	if err != nil || len(n) != 3 || n[1].String() != "::1/128" {
		t.Fatalf("parse = %v, %v", n, err)
	}
}
