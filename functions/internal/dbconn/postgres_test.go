package dbconn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
)

// localPostgres is the CI PostgreSQL (trust authentication on 127.0.0.1).
const localPostgres = "127.0.0.1:5432"

// tlsProxy terminates PostgreSQL TLS with a certificate from a CA made here and forwards the
// decrypted protocol to the local server, so the test controls the trust chain the client
// must verify. It answers the SSLRequest with 'S' and refuses anything else.
func tlsProxy(t *testing.T) (port int, caPEM []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dbconn test CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go proxyConn(c, cfg)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

func proxyConn(c net.Conn, cfg *tls.Config) {
	defer c.Close()
	var req [8]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return
	}
	if binary.BigEndian.Uint32(req[:4]) != 8 || binary.BigEndian.Uint32(req[4:]) != 80877103 {
		return // not an SSLRequest: plaintext is refused
	}
	if _, err := c.Write([]byte{'S'}); err != nil {
		return
	}
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return
	}
	up, err := net.Dial("tcp", localPostgres)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, tc); up.Close() }()
	_, _ = io.Copy(tc, up)
}

// TestPostgresConnectorPlumbing checks the PostgreSQL path end to end except the IAM check
// itself (the local server trusts the user, so it never asks for the token): verify-full TLS
// against the configured CA, a token built per physical connection, no plaintext fallback.
func TestPostgresConnectorPlumbing(t *testing.T) {
	port, caPEM := tlsProxy(t)
	ctx := context.Background()
	cfg := dbconn.Config{Engine: dbconn.Postgres, Host: "127.0.0.1", Port: port, Database: "postgres",
		User: "postgres", Region: region, CAPEM: caPEM}
	p, err := dbconn.Open(cfg, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var who string
	if err := p.QueryRowContext(ctx, "SELECT current_user").Scan(&who); err != nil {
		t.Fatalf("query through verified TLS: %v", err)
	}
	if who != "postgres" {
		t.Fatalf("current_user = %q", who)
	}
	if p.Opened() != 1 || p.TokensBuilt() != 1 {
		t.Fatalf("opened %d connections with %d tokens, want 1 and 1", p.Opened(), p.TokensBuilt())
	}

	// The same server with another CA configured: refused by the client's verification.
	wrong := cfg
	_, wrong.CAPEM = tlsProxy(t)
	bad, err := dbconn.Open(wrong, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	var unknown x509.UnknownAuthorityError
	if err := bad.PingContext(ctx); !errors.As(err, &unknown) {
		t.Fatalf("untrusted certificate: want x509.UnknownAuthorityError, got %v", err)
	}

	// The local server directly, with its own certificate (not issued by the configured CA):
	// verify-full refuses it, and there is no fallback to plaintext.
	direct := cfg
	direct.Port, _ = strconv.Atoi(localPostgres[len("127.0.0.1:"):])
	plain, err := dbconn.Open(direct, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	err = plain.PingContext(ctx)
	var host x509.HostnameError
	if !errors.As(err, &unknown) && !errors.As(err, &host) {
		t.Fatalf("server certificate outside the configured CA: want an x509 verification error, got %v", err)
	}
}
