package grant

import (
	"bytes"
	"testing"
)

func TestSealRoundTripAndBinding(t *testing.T) {
	kr := ringOf(t, Key{"a", secretA}, Key{"b", secretB})
	ad := binding(purposeGrant, "web", "alice")
	sealed := kr.seal([]byte("plain"), ad)
	if bytes.Contains(sealed, []byte("plain")) {
		t.Fatal("plaintext in sealed value")
	}
	if id, err := sealedKeyID(sealed); err != nil || id != "a" {
		t.Fatalf("key id %q %v", id, err)
	}
	pt, err := kr.unseal(sealed, ad)
	if err != nil || string(pt) != "plain" {
		t.Fatalf("unseal: %q %v", pt, err)
	}
	if again := kr.seal([]byte("plain"), ad); bytes.Equal(again, sealed) {
		t.Fatal("two seals, one nonce")
	}
	// Another purpose, another name, or a split that moves a byte
	// between names: none opens.
	for _, other := range [][]byte{
		binding(purposeKeyCheck, "web", "alice"), binding(purposeGrant, "web", "bob"),
		binding(purposeGrant, "webalice", ""), binding(purposeGrant, "we", "balice"), nil,
	} {
		if _, err := kr.unseal(sealed, other); err == nil {
			t.Fatalf("opened under additional data %q", other)
		}
	}
	// Relabelled with another key id of the ring: the header is bound.
	forged := bytes.Clone(sealed)
	forged[2] = 'b'
	if _, err := kr.unseal(forged, ad); err == nil {
		t.Fatal("relabelled value opened")
	}
	// Every single-bit flip is refused.
	for i := range sealed {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		if _, err := kr.unseal(b, ad); err == nil {
			t.Fatalf("flip at %d opened", i)
		}
	}
	// Unknown key id.
	if _, err := ringB(t).unseal(sealed, ad); err == nil {
		t.Fatal("opened without its key")
	}
}

// FuzzUnseal: arbitrary bytes never panic, and open only if they are a
// value sealed with the ring's key for that additional data.
func FuzzUnseal(f *testing.F) {
	kr := ringA(f)
	ad := binding(purposeGrant, "web", "alice")
	valid := kr.seal([]byte(`{"rt":"x","state":"active","v":1}`), ad)
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 1, 'a'})
	f.Add([]byte{1, 33})
	f.Add(append([]byte{2}, valid[1:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := kr.unseal(b, ad)
		// Only values this test sealed open (the corpus holds one more,
		// sealed with the same test key): nothing new can be forged.
		if err == nil && string(pt) != `{"rt":"x","state":"active","v":1}` && string(pt) != `{"state":"active"}` {
			t.Fatalf("forged value opened: %q", pt)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), secretA) {
			t.Fatal("key in error")
		}
		_, _ = sealedKeyID(b)
		_, _ = openGrant(kr, "web", "alice", b)
	})
}
