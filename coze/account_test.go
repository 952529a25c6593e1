package coze_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

func TestMe(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	const pat = "pat_account_test_token_value"
	emu.AddPAT(pat, "7310000000000000077")
	cz := httptest.NewServer(emu)
	defer cz.Close()
	c := &coze.Client{}
	a, err := c.Me(context.Background(), cz.URL+"/", pat)
	if err != nil {
		t.Fatal(err)
	}
	if a.UserID != "7310000000000000077" || a.String() != "Emulated 7310000000000000077 (7310000000000000077)" {
		t.Fatalf("account %+v, %q", a, a)
	}
	_, err = c.Me(context.Background(), cz.URL, "pat_not_registered_secret")
	if err == nil || !strings.Contains(err.Error(), "code 4100") || !strings.Contains(err.Error(), "log id 20") || strings.Contains(err.Error(), "not_registered_secret") {
		t.Fatalf("bad token: %v", err)
	}
	for _, tt := range []struct {
		a    coze.Account
		want string
	}{{coze.Account{}, ""}, {coze.Account{UserID: "1"}, "1"}, {coze.Account{UserName: "u"}, "u"}, {coze.Account{UserName: "u", UserID: "1"}, "u (1)"}} {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.a, got, tt.want)
		}
	}
}
