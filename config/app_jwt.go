package config

import (
	"crypto/rsa"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// JWTApp is what a JWT app (kind jwt, 服务类应用) holds: the key pair whose
// public half is registered in the Coze console.
type JWTApp struct {
	KeyID        string          // public key id (公钥指纹), the assertion's kid
	Key          *rsa.PrivateKey // signs the assertions; never printed
	KeySource    string          // "file PATH", "PATH: private_key" (a console download) or the field / variable it came from
	KeyFile      string          // path of the private key file, if any
	AssertionTTL time.Duration   // lifetime of each signed assertion
}

// rawJWT is a JWT app's own fields as written.
type rawJWT struct {
	KeyID          string `yaml:"key_id"`
	PrivateKey     string `yaml:"private_key"`
	PrivateKeyFile string `yaml:"private_key_file"`
	AssertionTTL   string `yaml:"assertion_ttl"`
}

func (r *rawApp) resolveJWT(a *App, e *errs) *JWTApp {
	j := &JWTApp{KeyID: strings.TrimSpace(r.KeyID), AssertionTTL: coze.DefaultAssertionTTL}
	switch {
	case j.KeyID == "":
		e.add(r.field("key_id"), "copy the public key id (公钥指纹) shown next to the uploaded key in the Coze console", "missing")
	case strings.Contains(j.KeyID, "BEGIN") || len(j.KeyID) > 128 || strings.ContainsAny(j.KeyID, " \n\t"):
		e.add(r.field("key_id"), "the key id (公钥指纹) is a short string from the console, not a PEM key", "does not look like a public key id")
	}
	r.resolveKey(j, e)
	if r.AssertionTTL != "" {
		d, err := time.ParseDuration(r.AssertionTTL)
		if err != nil || d < 30*time.Second || d > time.Hour {
			e.add(r.field("assertion_ttl"), "use a Go duration between 30s and 1h, e.g. 5m; the assertion is used once", "%q is not valid", r.AssertionTTL)
		} else {
			j.AssertionTTL = d
		}
	}
	return j
}

func (r *rawApp) resolveKey(j *JWTApp, e *errs) {
	field := r.field("private_key")
	data := []byte(r.PrivateKey)
	j.KeySource = field
	switch {
	case r.PrivateKey != "" && r.PrivateKeyFile != "":
		e.add(field, "give the key inline or as a file, not both", "both %s and %s are set", field, r.field("private_key_file"))
		return
	case r.PrivateKeyFile != "":
		field = r.field("private_key_file")
		path := r.path(r.PrivateKeyFile)
		j.KeySource = "file " + path
		j.KeyFile = path
		b, err := readSecretFile(path) // bounded: a path to a device or a huge file is not a key
		if err != nil {
			e.add(field, "check the path; keys made by `cozeauth keygen` are in its --out directory", "cannot read the private key: %v", err)
			return
		}
		data = b
	case r.PrivateKey == "":
		e.add(field, "give the app's RSA private key (PEM) inline or as "+r.field("private_key_file"), "missing")
		return
	}
	k, err := coze.ParsePrivateKey(data)
	if err != nil {
		e.add(field, "", "%v", err)
		return
	}
	j.Key = k
}
