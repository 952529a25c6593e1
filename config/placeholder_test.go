package config_test

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// docs/access.md's example secret, pasted as is, is refused with words
// that say to replace it.
func TestCookieSecretPlaceholder(t *testing.T) {
	for _, v := range []string{"<openssl rand -hex 32>", "CHANGE-ME", "replace with 32 random bytes"} {
		_, err := config.LoadFile(writeConfig(t, "apps:\n  - name: bot\n    region: cn\n    client_id: \""+appCN+"\"\n    key_id: k\n    private_key_file: private_key.pem\ncookie:\n  secret: \""+v+"\"\naudit:\n  session_key: \""+v+"\"\n"))
		if err == nil {
			t.Fatalf("%q accepted", v)
		}
		for _, field := range []string{"cookie.secret", "audit.session_key"} {
			if !strings.Contains(err.Error(), field+": this is the example's placeholder") || !strings.Contains(err.Error(), "openssl rand -hex 32") {
				t.Errorf("%q: %s lacks the placeholder advice:\n%v", v, field, err)
			}
		}
	}
}
