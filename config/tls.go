package config

// TLS names the files `serve` terminates TLS with. All empty: plain HTTP.
// The certificate and key are read again whenever they change; which
// files they are is fixed while serving (a reload that changes them is
// refused: restart).
type TLS struct {
	CertFile     string // PEM certificate chain, leaf first
	KeyFile      string // the leaf's PEM private key
	ClientCAFile string // CA certificates that client certificates (mutual TLS) must chain to; "" for none
}

// Enabled reports whether serve listens with TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

type rawTLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
}

// resolve makes the paths relative to the config file at path and checks
// that they go together. Field names are prefixed with prefix ("tls." in
// a file, "" for variables, whose names are given by names).
func (r rawTLS) resolve(path string, names [3]string, e *errs) TLS {
	t := TLS{CertFile: relativeTo(path, r.CertFile), KeyFile: relativeTo(path, r.KeyFile), ClientCAFile: relativeTo(path, r.ClientCAFile)}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		e.add(names[1], "give the certificate's private key file too", "missing: %s is set", names[0])
	case t.CertFile == "" && t.KeyFile != "":
		e.add(names[0], "give the certificate file too", "missing: %s is set", names[1])
	}
	if t.ClientCAFile != "" && t.CertFile == "" {
		e.add(names[2], "client certificates need TLS: give "+names[0]+" and "+names[1]+" as well", "set without a server certificate")
	}
	return t
}

// tlsFileNames and tlsEnvNames are the names problems are reported under.
var (
	tlsFileNames = [3]string{"tls.cert_file", "tls.key_file", "tls.client_ca_file"}
	tlsEnvNames  = [3]string{"COZEAUTH_TLS_CERT", "COZEAUTH_TLS_KEY", "COZEAUTH_TLS_CLIENT_CA"}
)

func envTLS(getenv func(string) string, e *errs) TLS {
	return rawTLS{CertFile: getenv(tlsEnvNames[0]), KeyFile: getenv(tlsEnvNames[1]), ClientCAFile: getenv(tlsEnvNames[2])}.resolve("", tlsEnvNames, e)
}
