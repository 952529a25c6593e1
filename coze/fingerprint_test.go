package coze_test

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

func TestFingerprint(t *testing.T) {
	keys(t)
	a, b := coze.Fingerprint(&rsaKey.PublicKey), coze.Fingerprint(&rsaKey2.PublicKey)
	if !strings.HasPrefix(a, "SHA256:") || len(a) != len("SHA256:")+43 {
		t.Errorf("Fingerprint = %q", a)
	}
	if a == b || a != coze.Fingerprint(&rsaKey.PublicKey) {
		t.Error("fingerprints are not per key")
	}
}
