package policy_test

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/internal/testcert"
	"github.com/cozeauth/cozeauth/policy"
)

func TestLookupCert(t *testing.T) {
	ca := testcert.NewCA(t, "ca")
	a, b := ca.Client(t, "a"), ca.Client(t, "b")
	_, hash, _ := policy.NewKey()
	keys, err := policy.NewKeys([]policy.Client{
		{Name: "by-cert", Policy: "p", CertSPKI: policy.SPKIHash(a.Cert)},
		{Name: "by-key", Policy: "p", Hash: hash},
	})
	if err != nil {
		t.Fatal(err)
	}
	verified := func(c *x509.Certificate) *tls.ConnectionState {
		return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}, VerifiedChains: [][]*x509.Certificate{{c, ca.Cert}}}
	}
	if cl, h := keys.LookupCert(verified(a.Cert)); cl == nil || cl.Name != "by-cert" || h != policy.SPKIHash(a.Cert) {
		t.Errorf("mapped certificate: %v %q", cl, h)
	}
	if cl, _ := keys.LookupCert(verified(a.Cert)); !strings.HasPrefix(cl.ID(), "by-cert#") || len(cl.ID()) != len("by-cert#")+8 {
		t.Errorf("ID of a certificate client: %q", cl.ID())
	}
	if cl, h := keys.LookupCert(verified(b.Cert)); cl != nil || h != policy.SPKIHash(b.Cert) {
		t.Errorf("unmapped certificate: %v %q", cl, h)
	}
	// Not verified against the client CA: nothing at all.
	if cl, h := keys.LookupCert(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{a.Cert}}); cl != nil || h != "" {
		t.Errorf("unverified certificate: %v %q", cl, h)
	}
	if cl, h := keys.LookupCert(nil); cl != nil || h != "" {
		t.Errorf("plain HTTP: %v %q", cl, h)
	}
	// A certificate client has no key: no key finds it.
	if _, ok := keys.Lookup(""); ok {
		t.Error("the empty key found a client")
	}
}

func TestNewKeysCertErrors(t *testing.T) {
	ca := testcert.NewCA(t, "ca")
	h := policy.SPKIHash(ca.Client(t, "a").Cert)
	for _, tt := range []struct {
		clients []policy.Client
		want    string
	}{
		{[]policy.Client{{Name: "x", CertSPKI: "sha256:abc"}}, "certificate hash must be"},
		{[]policy.Client{{Name: "x", CertSPKI: h}, {Name: "y", CertSPKI: h}}, "same certificate hash"},
		{[]policy.Client{{Name: "x"}}, "key hash must be"},
	} {
		if _, err := policy.NewKeys(tt.clients); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.clients, err, tt.want)
		}
	}
}
