package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// explainNet turns a failed request to the API base (reached via a proxy
// when via says so) into a summary, a cause and a fix: DNS, refused,
// timeout, TLS, or other.
func explainNet(err error, base, via string, timeout time.Duration) (summary, cause, fix string) {
	host := hostOf(base) + via
	var (
		dnsErr   *net.DNSError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		tlsRec   tls.RecordHeaderError
		verifyEr *tls.CertificateVerificationError
		netErr   net.Error
	)
	network := "check your network; behind a proxy set HTTPS_PROXY; try `curl -v " + strings.TrimRight(base, "/") + "/`"
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("DNS lookup of %s failed: %v", host, dnsErr.Err),
			"the API host's name does not resolve: a typo in api_base, no network, or a DNS server or firewall that blocks it",
			"use https://api.coze.cn or https://api.coze.com (or just region: cn / com); " + network
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection to %s refused", host),
			"nothing accepts connections there: a wrong host or port in api_base, or a firewall or proxy that rejects them",
			"check api_base (https://api.coze.cn or https://api.coze.com); " + network
	case errors.As(err, &verifyEr), errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &invalid), errors.As(err, &tlsRec):
		return fmt.Sprintf("TLS with %s failed: %v", host, err),
			"the certificate is not trusted: a proxy or firewall intercepts HTTPS with its own certificate, the system's CA certificates are missing (slim containers), or api_base is http-only",
			"install CA certificates (the ca-certificates package), or set SSL_CERT_FILE to your proxy's CA bundle"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("%s did not answer within %s", host, timeout),
			"packets to Coze are dropped or very slow: a firewall, a proxy that is required but not set, or no route",
			network
	}
	return fmt.Sprintf("%s unreachable: %v", host, err), "the connection failed before Coze answered", network
}
