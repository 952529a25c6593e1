package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/internal/testcert"
	"github.com/cozeauth/cozeauth/policy"
)

// startTLS runs serve with args until the test ends and returns its
// https base URL.
func startTLS(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	base, _, errOut := startCLI(t, args...)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("serve listens on %s, want https", base)
	}
	return base, errOut
}

// TestServeTLSWithClientCertificates: serve over HTTPS with a certificate
// that is rotated while serving, and a client authenticated by its
// certificate in place of a key, held to its policy; a certificate no
// client names, and none at all, are refused.
func TestServeTLSWithClientCertificates(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	emu.AddKey("1170000000000", "kid", &testKey().PublicKey)
	cz := httptest.NewServer(emu)
	defer cz.Close()

	ca := testcert.NewCA(t, "cozeauth test CA")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p+".tmp", data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srvCert := ca.Server(t)
	certFile, keyFile := write("tls.crt", srvCert.CertPEM), write("tls.key", srvCert.KeyPEM)
	caFile := write("clients-ca.crt", ca.CertPEM)
	backend, stranger := ca.Client(t, "backend"), ca.Client(t, "stranger")
	pemKey, err := coze.EncodePrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	write("key.pem", pemKey)
	cfg := write("cozeauth.yaml", []byte(`apps:
  - name: bot
    region: cn
    api_base: `+cz.URL+`
    audience: api.coze.cn
    client_id: "1170000000000"
    key_id: kid
    private_key_file: key.pem
policies:
  - name: backend
    apps: [bot]
    session: prefix
    max_duration: 900
clients:
  - name: backend-svc
    policy: backend
    cert_spki: "`+policy.SPKIHash(backend.Cert)+`"
`))
	base, log := startTLS(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", caFile)

	client := func(p *testcert.Pair) *http.Client {
		tc := &tls.Config{RootCAs: ca.Pool()}
		if p != nil {
			pair, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}}
	}
	ask := func(c *http.Client, body string) (int, string, *tls.ConnectionState) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/token", strings.NewReader(body))
		req.Header.Set("X-User-ID", "alice")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans struct {
			AccessToken string `json:"access_token"`
			Error       struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&ans)
		return resp.StatusCode, ans.AccessToken + ans.Error.Code, resp.TLS
	}

	// The client known by its certificate gets a token for its own,
	// prefixed session.
	status, got, st := ask(client(&backend), "")
	if status != 200 || !strings.HasPrefix(got, "czs_") {
		t.Fatalf("certificate client: %d %q\n%s", status, got, log)
	}
	if st.PeerCertificates[0].SerialNumber.Cmp(srvCert.Cert.SerialNumber) != 0 {
		t.Error("served another certificate than --tls-cert")
	}
	if st.Version < tls.VersionTLS12 {
		t.Errorf("negotiated TLS version %x", st.Version)
	}
	wantSession := "backend-svc#" + strings.TrimPrefix(policy.SPKIHash(backend.Cert), "sha256:")[:8] + ":alice"
	if emu.MintsFor("1170000000000", wantSession) != 1 {
		t.Errorf("no mint for session %q", wantSession)
	}
	// Held to its policy.
	if status, got, _ := ask(client(&backend), `{"duration_seconds":3600}`); status != 403 || got != "duration_not_allowed" {
		t.Errorf("over the policy's max_duration: %d %q", status, got)
	}
	// Deny by default: a certificate from the same CA that no client
	// names, and no certificate at all.
	if status, got, _ := ask(client(&stranger), ""); status != 401 || got != "unknown_client_certificate" {
		t.Errorf("unmapped certificate: %d %q", status, got)
	}
	if status, got, _ := ask(client(nil), ""); status != 401 || got != "missing_client_key" {
		t.Errorf("no certificate: %d %q", status, got)
	}

	// Rotate the server certificate while serving: the next connection
	// gets the new one, without a restart.
	rotated := ca.Server(t)
	write("tls.key", rotated.KeyPEM)
	write("tls.crt", rotated.CertPEM)
	status, _, st = ask(client(&backend), "")
	if status != 200 || st.PeerCertificates[0].SerialNumber.Cmp(rotated.Cert.SerialNumber) != 0 {
		t.Errorf("after rotation: status %d, serial %v, want %v", status, st.PeerCertificates[0].SerialNumber, rotated.Cert.SerialNumber)
	}
}

func TestServeTLSFlagErrors(t *testing.T) {
	_, cfgPath, _ := cnSetup(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "c.pem"}, "--tls-cert needs --tls-key"},
		{[]string{"--tls-key", "k.pem"}, "--tls-key needs --tls-cert"},
		{[]string{"--tls-client-ca", "ca.pem"}, "--tls-client-ca needs TLS"},
		{[]string{"--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, "no such file"},
	} {
		_, errOut, code := cli(t, "", append([]string{"serve", "--config", cfgPath, "--listen", "127.0.0.1:0"}, tt.args...)...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want %q", tt.args, code, errOut, tt.want)
		}
	}
}
