package clustertest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/clustertest"
)

// testCA makes a certificate authority and a certificate it signs for 127.0.0.1; it writes
// the authority's PEM to dir and returns its path and the server's TLS certificate.
func testCA(t *testing.T, dir string) (string, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tickwire test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nats"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestANodeSignsInToNATSWithAnNkeyOverTLS runs a NATS server that takes only TLS, with a
// certificate of a private authority, and only an nkey user: a node given the seed and the
// authority (--nats-nkey, --nats-ca) joins, one without the seed is refused.
func TestANodeSignsInToNATSWithAnNkeyOverTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, cert := testCA(t, dir)
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedFile := filepath.Join(dir, "tickwire.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: filepath.Join(dir, "js"), Nkeys: []*natsserver.NkeyUser{{Nkey: pub}},
		TLS: true, TLSTimeout: 2, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not listen")
	}
	url := "tls://" + ns.Addr().String()

	prefix := clustertest.Prefix(t)
	node := clustertest.Node(t, prefix, "secure", func(c *server.Config) {
		c.NATS, c.NATSNkey, c.NATSCA = []string{url}, seedFile, caFile
	})
	admin := node.Mint(t, node.Guest(t, "boss").AccessToken, time.Now(), time.Minute, "play admin")
	if ids := nodeIDs(t, node.URL(), admin); strings.Join(ids, ",") != "secure" {
		t.Fatalf("admin nodes = %v, want the node itself", ids)
	}
	if got := linkedTo(t, node.URL(), admin, "secure"); !strings.HasPrefix(got, "tls://") {
		t.Fatalf("the node is linked to %q, want a tls:// server", got)
	}

	// Without the seed NATS refuses the node, and the error says so.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = cluster.Open(ctx, cluster.Config{URLs: []string{url}, NodeID: "stranger", PublicURL: "http://stranger.invalid",
		Prefix: prefix, CAFile: caFile, Grace: time.Second, KeepRevocations: time.Minute, Local: func() cluster.Local { return cluster.Local{} }})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("a node without the nkey: %v, want an authorization violation", err)
	}
	// Nor does a node that does not trust the authority get through.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	_, err = cluster.Open(ctx2, cluster.Config{URLs: []string{url}, NodeID: "trusting", PublicURL: "http://trusting.invalid",
		Prefix: prefix, NkeySeedFile: seedFile, Grace: time.Second, KeepRevocations: time.Minute, Local: func() cluster.Local { return cluster.Local{} }})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a node without the CA: %v, want a certificate error", err)
	}
}
