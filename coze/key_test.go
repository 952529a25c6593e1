package coze_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

func selfSignedCertPEM(t *testing.T) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "cozeauth test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("CERTIFICATE", der)
}

func TestParsePrivateKey(t *testing.T) {
	keys(t)
	p1, p8 := pkcs1PEM(rsaKey), pkcs8PEM(t, rsaKey)
	// A PKCS#8 PEM whose base64 decodes but whose DER is cut short.
	corrupt := pemBlock("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)[:200])

	tests := []struct {
		name    string
		in      string
		wantErr string // "" means success with rsaKey
	}{
		{"PKCS#1", p1, ""},
		{"PKCS#8", p8, ""},
		{"PKCS#8 literal \\n escapes", escapeNewlines(p8), ""},
		{"PKCS#1 literal \\n escapes", escapeNewlines(p1), ""},
		{"PKCS#8 literal \\n escapes, surrounding spaces", "  " + escapeNewlines(p8) + "  ", ""},
		{"PKCS#8 CRLF", strings.ReplaceAll(p8, "\n", "\r\n"), ""},
		{"PKCS#1 CRLF", strings.ReplaceAll(p1, "\n", "\r\n"), ""},
		{"leading and trailing blank lines", "\n\n" + p8 + "\n\n", ""},
		{"UTF-8 byte order mark", "\ufeff" + p8, ""},
		{"openssl bag attributes before the block", "Bag Attributes\n    localKeyID: 01 02\n" + p8, ""},
		{"PKIX public key given by mistake", pkixPEM(t, &rsaKey.PublicKey), "public key"},
		{"PKCS#1 public key given by mistake", pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), "public key"},
		{"certificate given by mistake", selfSignedCertPEM(t), "certificate"},
		{"ECDSA in PKCS#8", pkcs8PEM(t, ecKey), "ECDSA"},
		{"ECDSA in SEC 1", pemBlock("EC PRIVATE KEY", mustSEC1(t)), "EC PRIVATE KEY"},
		{"Ed25519 in PKCS#8", pkcs8PEM(t, edKey), "Ed25519"},
		{"1024-bit RSA PKCS#1", pkcs1PEM(rsa1024), "1024 bits"},
		{"1024-bit RSA PKCS#8", pkcs8PEM(t, rsa1024), "1024 bits"},
		{"encrypted PKCS#8", pemBlock("ENCRYPTED PRIVATE KEY", []byte("whatever")), "ENCRYPTED PRIVATE KEY"},
		{"OpenSSH key", pemBlock("OPENSSH PRIVATE KEY", []byte("openssh-key-v1")), "OPENSSH PRIVATE KEY"},
		{"unknown PEM block", pemBlock("DH PARAMETERS", []byte{1, 2, 3}), "DH PARAMETERS"},
		{"PKCS#1 DER labelled PKCS#8", pemBlock("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "does not parse"},
		{"truncated DER", corrupt, "does not parse"},
		{"garbage", "this is not a key", "not PEM"},
		{"base64 body without PEM armour", pemBody(p8), "not PEM"},
		{"empty", "", "empty"},
		{"only whitespace", " \n\t\r\n ", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := coze.ParsePrivateKey([]byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParsePrivateKey: %v", err)
				}
				if !k.Equal(rsaKey) {
					t.Fatal("ParsePrivateKey returned a different key")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParsePrivateKey succeeded, want an error containing %q", tt.wantErr)
			}
			if k != nil {
				t.Errorf("ParsePrivateKey returned a key with an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			// The error must never echo key material.
			if strings.TrimSpace(tt.in) != "" && strings.Contains(tt.in, "\n") {
				if body := pemBody(tt.in); len(body) > 16 && strings.Contains(err.Error(), body) {
					t.Errorf("error %q contains key material", err)
				}
			}
		})
	}
}

func mustSEC1(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParsePrivateKeyNeverEchoesMaterial(t *testing.T) {
	keys(t)
	// Every refused input that carries key material, in both multi-line and
	// one-line forms.
	inputs := []string{
		pkixPEM(t, &rsaKey.PublicKey),
		pkcs8PEM(t, ecKey),
		pkcs8PEM(t, edKey),
		pkcs1PEM(rsa1024),
		pemBlock("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)),
		pemBlock("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)[:300]),
		pemBody(pkcs8PEM(t, rsaKey)),
	}
	for i, in := range inputs {
		for _, form := range []string{in, escapeNewlines(in)} {
			_, err := coze.ParsePrivateKey([]byte(form))
			if err == nil {
				t.Fatalf("input %d: ParsePrivateKey succeeded", i)
			}
			if body := pemBody(in); strings.Contains(err.Error(), body[:32]) {
				t.Errorf("input %d: error %q contains key material", i, err)
			}
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	keys(t)
	pkix := pkixPEM(t, &rsaKey.PublicKey)
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"PKIX", pkix, ""},
		{"PKIX literal \\n escapes", escapeNewlines(pkix), ""},
		{"PKIX CRLF", strings.ReplaceAll(pkix, "\n", "\r\n"), ""},
		{"PKIX with a byte order mark", "\ufeff" + pkix, ""},
		{"PKCS#1", pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), ""},
		{"private key given by mistake (PKCS#8)", pkcs8PEM(t, rsaKey), "private key"},
		{"private key given by mistake (PKCS#1)", pkcs1PEM(rsaKey), "private key"},
		{"ECDSA public key", pkixPEM(t, &ecKey.PublicKey), "not RSA"},
		{"Ed25519 public key", pkixPEM(t, edKey.Public()), "not RSA"},
		{"corrupt PKIX", pemBlock("PUBLIC KEY", []byte{0x30, 0x03, 1, 2, 3}), "does not parse"},
		{"certificate", selfSignedCertPEM(t), "CERTIFICATE"},
		{"garbage", "ssh-rsa AAAAB3NzaC1yc2E", "not PEM"},
		{"empty", "", "not PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := coze.ParsePublicKey([]byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParsePublicKey: %v", err)
				}
				if !k.Equal(&rsaKey.PublicKey) {
					t.Fatal("ParsePublicKey returned a different key")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParsePublicKey succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	keys(t)
	priv, err := coze.EncodePrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(priv), "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("EncodePrivateKey is not a PKCS#8 PEM: %.40q", priv)
	}
	k, err := coze.ParsePrivateKey(priv)
	if err != nil {
		t.Fatalf("ParsePrivateKey(EncodePrivateKey(k)): %v", err)
	}
	if !k.Equal(rsaKey) {
		t.Error("private key round trip changed the key")
	}
	// The one-line form an env var carries round-trips too.
	if k, err := coze.ParsePrivateKey([]byte(escapeNewlines(string(priv)))); err != nil || !k.Equal(rsaKey) {
		t.Errorf("escaped round trip: key equal %v, err %v", err == nil && k.Equal(rsaKey), err)
	}

	pub, err := coze.EncodePublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pub), "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("EncodePublicKey is not a PKIX PEM: %.40q", pub)
	}
	pk, err := coze.ParsePublicKey(pub)
	if err != nil {
		t.Fatalf("ParsePublicKey(EncodePublicKey(k)): %v", err)
	}
	if !pk.Equal(&rsaKey.PublicKey) {
		t.Error("public key round trip changed the key")
	}
	// The encoded public key is what a parse of the private key gives.
	if _, err := coze.ParsePrivateKey(pub); err == nil || !strings.Contains(err.Error(), "public key") {
		t.Errorf("ParsePrivateKey(public PEM) = %v, want a public-key error", err)
	}
}
