package coze

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"
)

// BenchmarkSign is one RS256 assertion: the CPU a cache miss costs here.
func BenchmarkSign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	s := &Signer{ClientID: "1170000000000", KeyID: "kid", Key: key, Audience: "api.coze.cn"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(time.Now(), Claims{SessionName: "user-1"}); err != nil {
			b.Fatal(err)
		}
	}
}
