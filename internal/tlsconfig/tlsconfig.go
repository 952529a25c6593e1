package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Files names a server's PEM files. Cert and Key are required; ClientCA,
// when set, turns on client certificates.
type Files struct {
	Cert     string // certificate chain, leaf first
	Key      string // the leaf's private key (PKCS#1, PKCS#8 or EC)
	ClientCA string // CA certificates client certificates must chain to; "" for no client certificates
}

// Server returns the tls.Config for f. The certificate is loaded now (an
// error names the file and what to do) and again on the first handshake
// after the certificate or key file changes (size, modification time or
// the file itself, so a rename over it or a symlink swap counts). A pair
// that fails to load (half written, key and certificate not matching) is
// logged once and the previous pair keeps serving until the files change
// again. With ClientCA, a client may present a certificate, which must
// then chain to one of its CAs (tls.VerifyClientCertIfGiven): callers
// without one still authenticate with keys. The client CA file is read
// once; changing it takes a restart.
func Server(f Files, log *slog.Logger) (*tls.Config, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("TLS needs both a certificate and a key: give --tls-cert and --tls-key (tls.cert_file and tls.key_file)")
	}
	r := &Reloader{files: f, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		// HTTP/1.1 only: the gateway's WebSocket upgrades need it.
		NextProtos: []string{"http/1.1"},
	}
	if f.ClientCA != "" {
		pem, err := os.ReadFile(f.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("TLS client CA file: %w (fix --tls-client-ca / tls.client_ca_file)", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS client CA file %s holds no PEM certificate (want -----BEGIN CERTIFICATE----- blocks)", f.ClientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// Reloader serves a certificate pair from files, reloading it when they
// change. Its methods are safe for concurrent use.
type Reloader struct {
	files Files
	log   *slog.Logger
	cert  atomic.Pointer[loaded]
	mu    sync.Mutex // one reload at a time
	// failed is the stamp of the files whose last load failed: not
	// retried (nor logged again) until they change once more.
	failed stamp
}

type loaded struct {
	cert  *tls.Certificate
	stamp stamp
}

// stamp identifies one version of the two files.
type stamp struct {
	cert, key fileStamp
}

type fileStamp struct {
	size  int64
	mtime time.Time
	info  os.FileInfo // for os.SameFile
}

func (a fileStamp) same(b fileStamp) bool {
	return a.size == b.size && a.mtime.Equal(b.mtime) && a.info != nil && b.info != nil && os.SameFile(a.info, b.info)
}

func (a stamp) same(b stamp) bool { return a.cert.same(b.cert) && a.key.same(b.key) }

func statFile(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime(), info: fi}, nil
}

func (r *Reloader) stat() (stamp, error) {
	c, err := statFile(r.files.Cert)
	if err != nil {
		return stamp{}, err
	}
	k, err := statFile(r.files.Key)
	return stamp{cert: c, key: k}, err
}

// load reads the pair and makes it current.
func (r *Reloader) load() error {
	st, err := r.stat()
	if err != nil {
		return fmt.Errorf("TLS certificate: %w (fix --tls-cert/--tls-key, tls.cert_file/tls.key_file)", err)
	}
	pair, err := tls.LoadX509KeyPair(r.files.Cert, r.files.Key)
	if err != nil {
		return fmt.Errorf("TLS certificate %s with key %s: %v (the files must be PEM, the key the certificate's own)", r.files.Cert, r.files.Key, err)
	}
	r.cert.Store(&loaded{cert: &pair, stamp: st})
	return nil
}

// GetCertificate is the tls.Config hook: the current pair, reloaded first
// when the files changed since it was loaded.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cur := r.cert.Load()
	st, err := r.stat()
	if err != nil || st.same(cur.stamp) {
		return cur.cert, nil // a file gone for a moment (being replaced): keep serving
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur = r.cert.Load(); st.same(cur.stamp) || st.same(r.failed) {
		return cur.cert, nil
	}
	if err := r.load(); err != nil {
		r.failed = st
		r.log.Error("TLS certificate changed but does not load: still serving the previous one", "err", err)
		return cur.cert, nil
	}
	r.failed = stamp{}
	r.log.Info("TLS certificate reloaded", "cert", r.files.Cert, "not_after", r.Current().Leaf.NotAfter)
	return r.cert.Load().cert, nil
}

// Current is the pair being served now.
func (r *Reloader) Current() *tls.Certificate { return r.cert.Load().cert }
