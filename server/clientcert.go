package server

import (
	"net/http"

	"github.com/cozeauth/cozeauth/policy"
)

// certCaller finds the client a request's TLS client certificate
// authenticates (serve --tls-client-ca). A presented key decides who the
// caller is, so a certificate counts only without one; in open mode
// nobody is authenticated. It returns the client, or none and the
// certificate's SPKI hash when a verified certificate names no client.
func certCaller(r *http.Request, acc *access, hasKey bool) (*policy.Client, string) {
	if hasKey || acc.open || r.TLS == nil {
		return nil, ""
	}
	return acc.keys.LookupCert(r.TLS)
}

// unknownCertificate refuses a verified client certificate that no client
// names: deny by default, whatever its subject says.
func unknownCertificate(spki string) *policy.Denied {
	return &policy.Denied{Status: http.StatusUnauthorized, Code: "unknown_client_certificate",
		Msg: "the TLS client certificate (public key " + spki + ") is not assigned to any client: add cert_spki: " + spki +
			" to a client under clients: in the configuration, or send a client key"}
}
