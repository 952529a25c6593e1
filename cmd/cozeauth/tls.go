package main

import (
	"crypto/tls"
	"errors"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/internal/tlsconfig"
)

func addTLSFlags(fl *pflag.FlagSet, t *config.TLS) {
	fl.StringVar(&t.CertFile, "tls-cert", "", "serve HTTPS with this PEM certificate chain (reloaded when the file changes; default tls.cert_file, $COZEAUTH_TLS_CERT)")
	fl.StringVar(&t.KeyFile, "tls-key", "", "the certificate's PEM private key (default tls.key_file, $COZEAUTH_TLS_KEY)")
	fl.StringVar(&t.ClientCAFile, "tls-client-ca", "", "accept client certificates that chain to these PEM CA certificates; a client with cert_spki is then authenticated by its certificate (default tls.client_ca_file, $COZEAUTH_TLS_CLIENT_CA)")
}

// applyTLSFlags lets the --tls-* flags win over the configuration's tls
// files, and refuses a combination that cannot serve.
func applyTLSFlags(cfg *config.Config, f serveFlags) error {
	if f.tls.CertFile != "" || f.tls.KeyFile != "" {
		cfg.TLS.CertFile, cfg.TLS.KeyFile = f.tls.CertFile, f.tls.KeyFile
	}
	if f.tls.ClientCAFile != "" {
		cfg.TLS.ClientCAFile = f.tls.ClientCAFile
	}
	t := cfg.TLS
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return errors.New("--tls-cert needs --tls-key, the certificate's private key")
	case t.CertFile == "" && t.KeyFile != "":
		return errors.New("--tls-key needs --tls-cert, the certificate")
	case t.ClientCAFile != "" && t.CertFile == "":
		return errors.New("--tls-client-ca needs TLS: give --tls-cert and --tls-key as well")
	}
	return nil
}

// serverTLS is the TLS configuration to serve with when the configuration
// names a certificate (nil otherwise), and the URL scheme clients use.
func serverTLS(cfg *config.Config, log *slog.Logger) (*tls.Config, string, error) {
	certClients := 0
	for _, c := range cfg.Access.Clients {
		if c.CertSPKI != "" {
			certClients++
		}
	}
	if certClients > 0 && cfg.TLS.ClientCAFile == "" {
		log.Warn("clients have cert_spki but no client CA is configured (--tls-client-ca): they can only authenticate with a key", "clients", certClients)
	}
	if !cfg.TLS.Enabled() {
		return nil, "http", nil
	}
	tc, err := tlsconfig.Server(tlsconfig.Files{Cert: cfg.TLS.CertFile, Key: cfg.TLS.KeyFile, ClientCA: cfg.TLS.ClientCAFile}, log)
	if err != nil {
		return nil, "", err
	}
	return tc, "https", nil
}

// certNote marks a client known by a TLS client certificate in the
// configuration summary.
func certNote(spki string) string {
	if spki == "" {
		return ""
	}
	return " (TLS client certificate " + spki[:min(len(spki), len("sha256:")+12)] + "…)"
}
