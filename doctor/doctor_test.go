package doctor_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/doctor"
	"github.com/cozeauth/cozeauth/emulator"
)

const (
	appID = "1170000000002"
	kid   = "kid-doctor"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return key
}

// envFor is the Worker-style environment for the test app at base.
func envFor(t *testing.T, base string, extra ...string) func(string) string {
	t.Helper()
	pemText, err := coze.EncodePrivateKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{"CLIENT_ID": appID, "KID": kid, "PRIVATE_KEY": strings.ReplaceAll(string(pemText), "\n", `\n`), "COZE_API_BASE": base}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

func emu(t *testing.T, region string) (*emulator.Server, string) {
	t.Helper()
	e := emulator.New(emulator.Options{Region: region})
	hs := httptest.NewServer(e)
	t.Cleanup(hs.Close)
	return e, hs.URL
}

func check(t *testing.T, rep *doctor.Report, id string) doctor.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", id, rep.Checks)
	return doctor.Check{}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestClassify(t *testing.T) {
	tests := map[string]string{
		"apps[0].private_key_file":                "key",
		"PRIVATE_KEY":                             "key",
		"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH":    "key",
		"./x/coze_oauth_config.json: private_key": "key",
		"KID":                                   "key_id",
		"COZE_JWT_OAUTH_PUBLIC_KEY_ID":          "key_id",
		"apps[2].key_id":                        "key_id",
		"x.json: public_key_id":                 "key_id",
		"CLIENT_ID":                             "client_id",
		"COZE_APP_ID":                           "client_id",
		"apps[1].client_id":                     "client_id",
		"apps[0].oauth_config_file.client_type": "",
		"apps[0].region":                        "",
		"(file)":                                "",
	}
	for field, want := range tests {
		if got := doctor.Classify(field); got != want {
			t.Errorf("Classify(%q) = %q, want %q", field, got, want)
		}
	}
}

// TestEnvRegionFix checks the region advice names the env variables when
// the configuration came from the environment, and the callbacks fire.
func TestEnvRegionFix(t *testing.T) {
	cn, cnBase := emu(t, "cn")
	cn.AddKey(appID, kid, &testKey(t).PublicKey)
	_, comBase := emu(t, "com")
	var started []string
	var seen []string
	rep := doctor.Run(t.Context(), doctor.Options{
		Config:  config.Options{Getenv: envFor(t, comBase, "COZE_REGION", "com", "AUDIENCE", "api.coze.com")},
		Bases:   map[coze.Region]string{coze.RegionCN: cnBase},
		OnStart: func(l string) { started = append(started, l) },
		OnCheck: func(c doctor.Check) { seen = append(seen, c.ID) },
	})
	if rep.OK || rep.SuggestedRegion != coze.RegionCN || rep.ConfigSource != "environment" {
		t.Errorf("report %+v", rep)
	}
	c := check(t, rep, "exchange")
	if !strings.Contains(c.Cause, "your app is on coze.cn: set region cn") || !strings.Contains(c.Fix, "COZE_REGION=cn") || !strings.Contains(c.Fix, "COZE_API_BASE") {
		t.Errorf("exchange check %+v", c)
	}
	if strings.Join(seen, ",") != "config,key,ids,reach,clock,exchange" {
		t.Errorf("OnCheck order: %v", seen)
	}
	if len(started) != 3 || !strings.HasPrefix(started[2], "trying coze.cn") {
		t.Errorf("OnStart: %v", started)
	}
}

func TestOtherRegionWithAnotherProblem(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 1024) // only its public half is registered
	if err != nil {
		t.Fatal(err)
	}
	cn, cnBase := emu(t, "cn")
	cn.AddKey(appID, kid, &other.PublicKey)
	_, comBase := emu(t, "com")
	rep := doctor.Run(t.Context(), doctor.Options{
		Config: config.Options{Getenv: envFor(t, comBase, "COZE_REGION", "com", "AUDIENCE", "api.coze.com")},
		Bases:  map[coze.Region]string{coze.RegionCN: cnBase},
	})
	c := check(t, rep, "exchange")
	if rep.SuggestedRegion != coze.RegionCN || !strings.Contains(c.Cause, "set region cn; there, Coze refuses for another reason: the private key is not the pair") {
		t.Errorf("exchange check %+v", c)
	}
}

func TestAudienceMismatch(t *testing.T) {
	cn, base := emu(t, "cn")
	cn.AddKey(appID, kid, &testKey(t).PublicKey)
	rep := doctor.Run(t.Context(), doctor.Options{Config: config.Options{Getenv: envFor(t, base)}}) // aud is the emulator's host
	c := check(t, rep, "exchange")
	if rep.OK || !strings.Contains(c.Summary, "aud mismatch") || !strings.Contains(c.Cause, `aud "127.0.0.1"`) || !strings.Contains(c.Fix, "AUDIENCE") {
		t.Errorf("exchange check %+v", c)
	}
}

func TestNetworkFailures(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	tests := []struct {
		name      string
		base      string
		transport http.RoundTripper
		timeout   time.Duration
		want      []string
	}{
		{"DNS", "https://api.coze.invalid", rtFunc(func(r *http.Request) (*http.Response, error) {
			return nil, &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}}
		}), time.Second, []string{"DNS lookup of api.coze.invalid failed: no such host", "does not resolve", "HTTPS_PROXY"}},
		{"timeout", "https://api.coze.cn", rtFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}), 50 * time.Millisecond, []string{"did not answer within 50ms", "dropped or very slow"}},
		{"untrusted certificate", tlsSrv.URL, nil, 10 * time.Second, []string{"TLS with 127.0.0.1", "certificate", "ca-certificates"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := doctor.Options{Config: config.Options{Getenv: envFor(t, tt.base, "AUDIENCE", "api.coze.cn")}, Timeout: tt.timeout}
			if tt.transport != nil {
				o.HTTP = &http.Client{Transport: tt.transport}
			}
			rep := doctor.Run(context.Background(), o)
			c := check(t, rep, "reach")
			text := c.Summary + "\n" + c.Cause + "\n" + c.Fix
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reach check lacks %q:\n%s", w, text)
				}
			}
			if c.Status != doctor.Fail || rep.OK || check(t, rep, "exchange").Status != doctor.Skip {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

// TestOtherAppsProblems fails the config check for a broken second app,
// yet still gets a token for the first: exit status must not be 0.
func TestOtherAppsProblems(t *testing.T) {
	cn, base := emu(t, "cn")
	cn.AddKey(appID, kid, &testKey(t).PublicKey)
	dir := t.TempDir()
	pemText, _ := coze.EncodePrivateKey(testKey(t))
	if err := os.WriteFile(filepath.Join(dir, "k.pem"), pemText, 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "apps:\n" +
		"  - {name: good, api_base: \"" + base + "\", audience: api.coze.cn, client_id: \"" + appID + "\", key_id: " + kid + ", private_key_file: k.pem}\n" +
		"  - {name: bad, region: cn, client_id: nope, key_id: x, private_key_file: missing.pem}\n"
	path := filepath.Join(dir, "cozeauth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := doctor.Run(t.Context(), doctor.Options{Config: config.Options{File: path}})
	c := check(t, rep, "config")
	if c.Status != doctor.Fail || len(c.Details) != 2 || !strings.Contains(c.Details[0], "apps[1].client_id") {
		t.Errorf("config check %+v", c)
	}
	if check(t, rep, "key").Status != doctor.OK || check(t, rep, "ids").Status != doctor.OK {
		t.Errorf("the good app's checks failed: %+v", rep.Checks)
	}
	if !rep.TokenObtained || rep.OK {
		t.Errorf("token %v, OK %v", rep.TokenObtained, rep.OK)
	}
}

func TestNoConfig(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./cozeauth.yaml
	rep := doctor.Run(t.Context(), doctor.Options{Config: config.Options{Getenv: func(string) string { return "" }}})
	c := check(t, rep, "config")
	if c.Status != doctor.Fail || c.Summary != "no configuration found" || !strings.Contains(c.Fix, "cozeauth.yaml") {
		t.Errorf("config check %+v", c)
	}
	for _, c := range rep.Checks[1:] {
		if c.Status != doctor.Skip {
			t.Errorf("check %s ran without a config", c.ID)
		}
	}
}
