package tlsconfig

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/internal/testcert"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// replace writes data to path the way certificate tools do: a new file
// renamed over the old one.
func replace(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// serve answers TLS handshakes on a loopback port with cfg until the test
// ends.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_, _ = c.Write([]byte("x")) // lets the client finish reading the session
			}()
		}
	}()
	return ln.Addr().String()
}

// served is the serial number of the certificate addr presents.
func served(t *testing.T, addr string, ca *testcert.CA) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func TestReloadsRotatedCertificate(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := ca.Server(t)
	replace(t, certFile, first.CertPEM)
	replace(t, keyFile, first.KeyPEM)
	var logs syncBuf
	cfg, err := Server(Files{Cert: certFile, Key: keyFile}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)
	if got := served(t, addr, ca); got != first.Cert.SerialNumber.String() {
		t.Fatalf("served serial %s, want %s", got, first.Cert.SerialNumber)
	}

	// Rotation by rename: the next handshake has the new certificate.
	second := ca.Server(t)
	replace(t, keyFile, second.KeyPEM)
	replace(t, certFile, second.CertPEM)
	if got := served(t, addr, ca); got != second.Cert.SerialNumber.String() {
		t.Fatalf("after rotation: serial %s, want %s", got, second.Cert.SerialNumber)
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("no reload logged:\n%s", logs.String())
	}

	// Half a rotation (the certificate of a key not yet written): the
	// previous pair keeps serving, and the failure is logged once.
	third := ca.Server(t)
	replace(t, certFile, third.CertPEM)
	for range 3 {
		if got := served(t, addr, ca); got != second.Cert.SerialNumber.String() {
			t.Fatalf("with a mismatched pair: serial %s, want the previous %s", got, second.Cert.SerialNumber)
		}
	}
	if n := strings.Count(logs.String(), "does not load"); n != 1 {
		t.Errorf("the bad pair was logged %d times, want once:\n%s", n, logs.String())
	}
	// The key arrives, written in place this time.
	if err := os.WriteFile(keyFile, third.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := served(t, addr, ca); got != third.Cert.SerialNumber.String() {
		t.Fatalf("after the key arrived: serial %s, want %s", got, third.Cert.SerialNumber)
	}
}

// Handshakes while the files are replaced always get one whole pair.
func TestConcurrentHandshakesDuringRotation(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	p := ca.Server(t)
	replace(t, certFile, p.CertPEM)
	replace(t, keyFile, p.KeyPEM)
	cfg, err := Server(Files{Cert: certFile, Key: keyFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				served(t, addr, ca) // fails the test on a broken handshake
			}
		})
	}
	for range 5 {
		n := ca.Server(t)
		replace(t, keyFile, n.KeyPEM)
		replace(t, certFile, n.CertPEM)
	}
	wg.Wait()
}

func TestOldProtocolsRefused(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	dir := t.TempDir()
	p := ca.Server(t)
	certFile, keyFile := filepath.Join(dir, "c"), filepath.Join(dir, "k")
	replace(t, certFile, p.CertPEM)
	replace(t, keyFile, p.KeyPEM)
	cfg, err := Server(Files{Cert: certFile, Key: keyFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		c.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
	c, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	c.Close()
}

func TestClientCertificates(t *testing.T) {
	ca, other := testcert.NewCA(t, "client CA"), testcert.NewCA(t, "someone else's CA")
	dir := t.TempDir()
	p := ca.Server(t)
	certFile, keyFile, caFile := filepath.Join(dir, "c"), filepath.Join(dir, "k"), filepath.Join(dir, "ca")
	replace(t, certFile, p.CertPEM)
	replace(t, keyFile, p.KeyPEM)
	replace(t, caFile, ca.CertPEM)
	cfg, err := Server(Files{Cert: certFile, Key: keyFile, ClientCA: caFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	states := make(chan tls.ConnectionState, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			if tc.Handshake() == nil {
				states <- tc.ConnectionState()
				tc.Write([]byte("x"))
			}
			tc.Close()
		}
	}()
	dial := func(certs ...tls.Certificate) error {
		cc := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
		if len(certs) > 0 {
			// Send it whatever CAs the server names (Go's client would
			// otherwise send none that does not chain to them).
			cc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), cc)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Read(make([]byte, 1)) // the server's verdict on a client certificate arrives after the handshake (TLS 1.3)
		return err
	}
	good := ca.Client(t, "backend")
	pair, _ := tls.X509KeyPair(good.CertPEM, good.KeyPEM)
	if err := dial(pair); err != nil {
		t.Fatalf("a certificate from the client CA: %v", err)
	}
	if st := <-states; len(st.VerifiedChains) == 0 || st.PeerCertificates[0].Subject.CommonName != "backend" {
		t.Errorf("server state: %d verified chains, peer %v", len(st.VerifiedChains), st.PeerCertificates)
	}
	if err := dial(); err != nil {
		t.Fatalf("no client certificate (keys still work): %v", err)
	}
	if st := <-states; len(st.PeerCertificates) != 0 {
		t.Error("a peer certificate without one sent")
	}
	stranger := other.Client(t, "backend")
	pair, _ = tls.X509KeyPair(stranger.CertPEM, stranger.KeyPEM)
	if err := dial(pair); err == nil {
		t.Fatal("a certificate from another CA was accepted")
	}
}

func TestServerErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not pem"), 0o600)
	for _, tt := range []struct {
		name string
		f    Files
		want string
	}{
		{"no key", Files{Cert: junk}, "both a certificate and a key"},
		{"missing file", Files{Cert: filepath.Join(dir, "nope"), Key: junk}, "no such file"},
		{"not PEM", Files{Cert: junk, Key: junk}, "must be PEM"},
	} {
		if _, err := Server(tt.f, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	ca := testcert.NewCA(t, "ca")
	p := ca.Server(t)
	cf, kf := filepath.Join(dir, "c"), filepath.Join(dir, "k")
	os.WriteFile(cf, p.CertPEM, 0o600)
	os.WriteFile(kf, p.KeyPEM, 0o600)
	if _, err := Server(Files{Cert: cf, Key: kf, ClientCA: junk}, nil); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("junk client CA: %v", err)
	}
}
