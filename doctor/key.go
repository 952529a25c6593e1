package doctor

import (
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// checkKey reports whether the app's private key loaded: RSA, its size and
// form, or why not.
func (r *runner) checkKey() {
	const id, name = "key", "private key"
	if r.app == nil {
		r.skip(id, name, "no app to check")
		return
	}
	c := Check{ID: id, Name: name, Status: Fail}
	if k := r.app.JWT.Key; k != nil {
		c.Status = OK
		form := ""
		if path, ok := strings.CutPrefix(r.app.JWT.KeySource, "file "); ok {
			form = ", " + pemForm(path)
		}
		c.Summary = fmt.Sprintf("RSA %d bits%s, %s, from %s", k.N.BitLen(), form, coze.Fingerprint(&k.PublicKey), r.app.JWT.KeySource)
		r.add(c)
		return
	}
	probs := r.buckets["key"]
	if len(probs) == 0 {
		c.Summary = "not loaded: see the configuration problems above"
		r.add(c)
		return
	}
	c.Summary = probs[0].Field + ": " + probs[0].Msg
	for _, p := range probs[1:] {
		c.Details = append(c.Details, p.Field+": "+p.Msg)
	}
	c.Cause, c.Fix = explainKey(probs[0].Msg)
	if c.Fix == "" {
		c.Fix = probs[0].Fix
	}
	r.add(c)
}

// pemForm names the PEM form of the key file at path.
func pemForm(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown form"
	}
	text := strings.ReplaceAll(string(data), `\n`, "\n")
	block, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	switch {
	case block == nil:
		return "unknown form"
	case block.Type == "RSA PRIVATE KEY":
		return "PKCS#1 (BEGIN RSA PRIVATE KEY, fine)"
	case block.Type == "PRIVATE KEY":
		return "PKCS#8"
	}
	return block.Type
}

// explainKey maps coze.ParsePrivateKey's and config's key errors to a
// cause and a fix.
func explainKey(msg string) (cause, fix string) {
	keygen := "make an RSA pair with `cozeauth keygen`, add public_key.pem to the app in the Coze console (添加公钥) and use the public key id (公钥指纹) it shows as key_id"
	switch {
	case strings.Contains(msg, "public key where the private key belongs"), strings.Contains(msg, "certificate where the private key belongs"):
		return "this is the public key, the half you upload to the Coze console; signing needs the private half",
			"point private_key_file (PRIVATE_KEY_FILE) at the private key: private_key.pem from `cozeauth keygen`, or the key the console showed once when it made the pair (BEGIN PRIVATE KEY)"
	case strings.Contains(msg, "ENCRYPTED"):
		return "the key is protected by a passphrase, which cozeauth cannot type",
			"decrypt it once: openssl pkey -in encrypted.pem -out private_key.pem && chmod 600 private_key.pem"
	case strings.Contains(msg, "ECDSA"), strings.Contains(msg, "Ed25519"), strings.Contains(msg, "needs an RSA key"), strings.Contains(msg, "unsupported key type"):
		return "Coze signs assertions with RS256, which needs an RSA key", keygen
	case strings.Contains(msg, "bits"):
		return "the RSA key is too short", keygen
	case strings.Contains(msg, "not PEM"):
		return "the value is not a PEM block: the -----BEGIN PRIVATE KEY----- line is missing, or a path was given where the key's text belongs",
			"give the PEM file with private_key_file (PRIVATE_KEY_FILE), or the whole PEM text inline"
	case strings.Contains(msg, "cannot read"):
		return "the key file cannot be read", "check the path (relative paths are relative to the config file) and that this user may read it"
	case strings.Contains(msg, "does not parse"):
		return "the PEM block is damaged: lines were lost or changed while copying", "copy the key file again, or " + keygen
	case strings.Contains(msg, "not both"):
		return "the key is given twice", "keep either the inline key or the key file"
	case msg == "missing":
		return "no private key is configured", "set private_key_file (PRIVATE_KEY_FILE) to the app's private key PEM"
	}
	return "", ""
}

// checkPub compares the public key in PubFile with the private key.
func (r *runner) checkPub() {
	c := Check{ID: "public_key", Name: "public key", Status: Fail}
	path := r.o.PubFile
	data, err := os.ReadFile(path)
	if err != nil {
		c.Summary = fmt.Sprintf("cannot read --pub %s: %v", path, err)
		c.Fix = "give the public key file you uploaded to the Coze console (public_key.pem)"
		r.add(c)
		return
	}
	pub, err := coze.ParsePublicKey(data)
	if err != nil {
		c.Summary = fmt.Sprintf("%s: %v", path, err)
		if strings.Contains(err.Error(), "private key where the public key belongs") {
			c.Cause = path + " is a private key"
			c.Fix = "--pub takes the public key you uploaded to the console (public_key.pem); never upload or share the private key"
		} else {
			c.Cause = path + " is not an RSA public key PEM"
			c.Fix = "give the PEM you uploaded to the console (it starts with -----BEGIN PUBLIC KEY-----)"
		}
		r.add(c)
		return
	}
	if r.app == nil || r.app.JWT.Key == nil {
		c.Status = Skip
		c.Summary = fmt.Sprintf("skipped: %s is an RSA %d-bit public key (%s), but there is no private key to compare it with", path, pub.N.BitLen(), coze.Fingerprint(pub))
		r.add(c)
		return
	}
	have := coze.Fingerprint(&r.app.JWT.Key.PublicKey)
	if pub.Equal(&r.app.JWT.Key.PublicKey) {
		c.Status = OK
		c.Summary = fmt.Sprintf("%s matches the private key (%s)", path, have)
		r.add(c)
		return
	}
	c.Summary = fmt.Sprintf("%s does not match the private key", path)
	c.Details = []string{"public key  " + coze.Fingerprint(pub) + "  (" + path + ")", "private key " + have + "  (" + r.app.JWT.KeySource + ")"}
	c.Cause = fmt.Sprintf("the private key is not the pair of this public key: if %s is what you uploaded, Coze refuses every assertion (\"signature is invalid\")", path)
	c.Fix = "use the private key made together with " + path + ", or upload this private key's public half (openssl pkey -in private_key.pem -pubout) in the console (添加公钥) and use the key id (公钥指纹) it gets"
	r.add(c)
}

// checkIDs checks the app id and key id look like what the console shows.
func (r *runner) checkIDs() {
	const id, name = "ids", "app id, key id"
	if r.app == nil {
		r.skip(id, name, "no app to check")
		return
	}
	c := Check{ID: id, Name: name, Status: Fail}
	var probs []idProblem
	for _, kind := range []string{"client_id", "key_id"} {
		for _, fe := range r.buckets[kind] {
			probs = append(probs, idProblem{kind, fe})
		}
	}
	if len(probs) > 0 {
		c.Summary = probs[0].fe.Field + ": " + probs[0].fe.Msg
		for _, p := range probs[1:] {
			c.Details = append(c.Details, p.fe.Field+": "+p.fe.Msg)
		}
		c.Cause, c.Fix = explainID(probs[0].kind, probs[0].fe.Msg)
		r.add(c)
		return
	}
	a := r.app
	c.Status = OK
	c.Summary = fmt.Sprintf("app id %s (应用ID), key id %s (公钥指纹)", a.ClientID, a.JWT.KeyID)
	switch {
	case a.JWT.KeyID == a.ClientID:
		c.Status = Warn
		c.Cause = "the key id equals the app id: the app id was probably pasted into key_id"
		c.Fix = "copy the public key id (公钥指纹) shown next to the uploaded key into key_id (KID)"
	case strings.HasPrefix(a.JWT.KeyID, "SHA256:"):
		c.Status = Fail
		c.Cause = "the key id is a SHA-256 fingerprint as cozeauth prints it, not the key id Coze assigns"
		c.Fix = "copy the public key id (公钥指纹) the Coze console shows next to the uploaded key into key_id (KID)"
	}
	r.idsOK = c.Status != Fail
	r.add(c)
}

// idProblem is a configuration problem with the app id or the key id.
type idProblem struct {
	kind string // client_id or key_id
	fe   *config.FieldError
}

func explainID(kind, msg string) (cause, fix string) {
	page := " on the app's page in the Coze console (API 授权 / Authorization → OAuth 应用 → your 服务类应用)"
	if kind == "client_id" {
		fix = "copy the app id (应用ID), a number," + page + " into client_id (CLIENT_ID)"
		if msg == "missing" {
			return "no app id (应用ID) is configured", fix
		}
		return "Coze takes iss as the numeric app id (应用ID); a name, key id or bot id there is refused", fix
	}
	fix = "copy the public key id (公钥指纹) shown next to the uploaded key" + page + " into key_id (KID)"
	if msg == "missing" {
		return "no public key id (公钥指纹) is configured", fix
	}
	return "the key id (公钥指纹) is a short id the console shows next to the uploaded public key, not a key", fix
}
