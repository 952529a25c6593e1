package main

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/atomicfile"
)

// Key file names keygen writes in its --out directory.
const (
	privateKeyFile = "private_key.pem"
	publicKeyFile  = "public_key.pem"
)

// generateKey makes the key pair; tests replace it to stay fast.
var generateKey = func(bits int) (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, bits) }

func newKeygen() *cobra.Command {
	var (
		bits int
		dir  string
	)
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an RSA key pair for a Coze JWT app (服务类应用)",
		Long: `Make an RSA key pair for a Coze JWT app (服务类应用).

Writes private_key.pem (PKCS#8, mode 0600: cozeauth signs with it) and
public_key.pem (upload it in the Coze console) into --out, refusing to
overwrite either, and prints the next steps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u := newUI(cmd)
			defer u.stop()
			return runKeygen(cmd.OutOrStdout(), u, bits, dir)
		},
	}
	cmd.Flags().IntVar(&bits, "bits", 2048, "key size: 2048, 3072 or 4096")
	cmd.Flags().StringVarP(&dir, "out", "o", ".", "directory to write the key files into (created if missing)")
	return cmd
}

func runKeygen(w io.Writer, u *ui, bits int, dir string) error {
	if bits != 2048 && bits != 3072 && bits != 4096 {
		return fmt.Errorf("--bits %d: use 2048, 3072 or 4096", bits)
	}
	privPath, pubPath := filepath.Join(dir, privateKeyFile), filepath.Join(dir, publicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists: keygen never overwrites a key (the console may still hold its public half); move it away or choose another --out directory", p)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	u.start(fmt.Sprintf("generating an RSA %d-bit key", bits))
	key, err := generateKey(bits)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	privPEM, err := coze.EncodePrivateKey(key)
	if err != nil {
		return err
	}
	pubPEM, err := coze.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writeNew(privPath, privPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		_ = os.Remove(privPath) // leave no half-made pair behind
		return err
	}
	u.stop()
	abs, err := filepath.Abs(privPath)
	if err != nil {
		abs = privPath
	}
	printNextSteps(w, bits, privPath, pubPath, abs, coze.Fingerprint(&key.PublicKey))
	return nil
}

// writeNew creates path with data and mode, failing if it exists; the
// file appears whole and synced, never half-written.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	err := atomicfile.WriteNew(path, data, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: keygen never overwrites a key", path)
	}
	return err
}

func printNextSteps(w io.Writer, bits int, privPath, pubPath, absPriv, fp string) {
	fmt.Fprintf(w, `Wrote a new RSA %d-bit key pair:
  private key  %s  (PKCS#8, mode 0600: keep it secret; cozeauth signs with it)
  public key   %s  (upload this one to Coze)
  sha256       %s  (a local fingerprint to tell key files apart; not Coze's key id)

Next steps:
  1. Open the Coze console, https://www.coze.cn (扣子) or https://www.coze.com, and go to
     API 授权 (Authorization) → OAuth 应用 (OAuth apps) → your JWT app (服务类应用).
     No app yet? Create one of type 服务类应用 (service app).
  2. Add the public key (添加公钥): paste the contents of %s.
  3. The console then shows its public key id (公钥指纹). Copy it into key_id (or KID),
     and the app id (应用ID, a number) into client_id (or CLIENT_ID).
  4. Configure cozeauth, e.g. in cozeauth.yaml:

       apps:
         - name: my-bot
           region: cn                 # cn for coze.cn (扣子), com for coze.com
           client_id: "<应用ID>"
           key_id: "<公钥指纹>"
           private_key_file: %s

  5. Check everything:  cozeauth doctor
     Then get a token:  cozeauth token
`, bits, privPath, pubPath, fp, pubPath, absPriv)
}
