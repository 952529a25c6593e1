package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/doctor"
)

// TestDoctorDiagnoses drives `cozeauth doctor` through each diagnosis
// against emulators, checking its words and its exit status.
func TestDoctorDiagnoses(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the doctor's arguments.
		setup    func(t *testing.T) []string
		code     int
		want     []string
		dontWant []string
	}{
		{"works with a PKCS#8 key", func(t *testing.T) []string {
			_, cfg, _ := cnSetup(t)
			return []string{"--config", cfg}
		}, 0, []string{"✓ configuration", "✓ private key        RSA 2048 bits, PKCS#8", "✓ app id, key id", "✓ Coze API reachable",
			"✓ clock", "✓ token exchange     got an access token (Bearer, expires in 15 min)", "log id: ", "✓ Coze gave a token"}, []string{"✗"}},

		{"works with a PKCS#1 key", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			writeFile(t, dir, "private_key.pem", pkcs1PEM(keyA), 0o600)
			return []string{"--config", cfg}
		}, 0, []string{"PKCS#1 (BEGIN RSA PRIVATE KEY, fine)", "✓ token exchange"}, []string{"✗"}},

		{"wrong region: the app is on cn, the config says com", func(t *testing.T) []string {
			testKeys(t)
			cn, cnBase := newEmu(t, "cn", 0)
			cn.AddKey(testAppID, testKid, &keyA.PublicKey)
			_, comBase := newEmu(t, "com", 0)
			dir := t.TempDir()
			key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
			cfg := writeConfig(t, dir, app{region: "com", apiBase: comBase, audience: "api.coze.com", clientID: testAppID, keyID: testKid, keyFile: key})
			return []string{"--config", cfg, "--region-base", "cn=" + cnBase + ",com=" + comBase}
		}, 1, []string{"✗ token exchange", "invalid jwt: kid not been registred", "tried coze.cn", "aud api.coze.cn) as well: got a token",
			"cause: your app is on coze.cn: set region cn", "set region: cn for app \"bot\"", "log id: "}, nil},

		{"unknown kid in both regions", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			_, comBase := newEmu(t, "com", 0)
			cfg = strings.Replace(readFile(t, cfg), testKid, "typo-kid", 1)
			writeFile(t, dir, "cozeauth.yaml", cfg, 0o600)
			return []string{"--config", dir + "/cozeauth.yaml", "--region-base", "com=" + comBase}
		}, 1, []string{"kid not been registred", `key id "typo-kid" (公钥指纹) is registered neither on coze.cn nor on coze.com`,
			"copy the public key id (公钥指纹)", "API 授权"}, []string{"set region"}},

		{"mismatched key pair (--pub)", func(t *testing.T) []string {
			emu, cfg, dir := cnSetup(t)
			emu.AddKey(testAppID, testKid, &keyB.PublicKey) // the console holds B's public half
			pub := writeFile(t, dir, "public_key.pem", publicPEM(t, keyB), 0o644)
			return []string{"--config", cfg, "--pub", pub}
		}, 1, []string{"✗ public key", "public_key.pem does not match the private key", "signature is invalid",
			"the private key is not the pair of the public key registered under key id \"kid-a\"", "openssl pkey -in private_key.pem -pubout"}, nil},

		{"matching --pub", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			pub := writeFile(t, dir, "public_key.pem", publicPEM(t, keyA), 0o644)
			return []string{"--config", cfg, "--pub", pub}
		}, 0, []string{"✓ public key", "public_key.pem matches the private key"}, nil},

		{"non-RSA key", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			writeFile(t, dir, "private_key.pem", pkcs8PEM(t, ecKey), 0o600)
			return []string{"--config", cfg}
		}, 1, []string{"✗ private key", "key is ECDSA", "cause: Coze signs assertions with RS256, which needs an RSA key",
			"cozeauth keygen", "– token exchange     skipped: no usable private key"}, nil},

		{"public key given as the private key", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			writeFile(t, dir, "private_key.pem", publicPEM(t, keyA), 0o600)
			return []string{"--config", cfg}
		}, 1, []string{"✗ private key", "got a public key where the private key belongs", "cause: this is the public key, the half you upload",
			"skipped: no usable private key"}, nil},

		{"clock ten minutes behind", func(t *testing.T) []string {
			testKeys(t)
			emu, base := newEmu(t, "cn", 10*time.Minute)
			emu.AddKey(testAppID, testKid, &keyA.PublicKey)
			dir := t.TempDir()
			key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
			cfg := writeConfig(t, dir, app{region: "cn", apiBase: base, audience: "api.coze.cn", clientID: testAppID, keyID: testKid, keyFile: key})
			return []string{"--config", cfg}
		}, 1, []string{"✗ clock              local clock is 10 min behind Coze's", "timedatectl set-ntp true",
			"invalid jwt: token is expired", "cause: the clock: your clock is 10 min behind Coze's"}, nil},

		{"clock ten minutes ahead", func(t *testing.T) []string {
			testKeys(t)
			emu, base := newEmu(t, "cn", -10*time.Minute)
			emu.AddKey(testAppID, testKid, &keyA.PublicKey)
			dir := t.TempDir()
			key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
			cfg := writeConfig(t, dir, app{region: "cn", apiBase: base, audience: "api.coze.cn", clientID: testAppID, keyID: testKid, keyFile: key})
			return []string{"--config", cfg}
		}, 1, []string{"✗ clock", "10 min ahead of Coze's", "iat is in the future"}, nil},

		{"clock 45 s behind: a warning, and a token", func(t *testing.T) []string {
			testKeys(t)
			emu, base := newEmu(t, "cn", 45*time.Second)
			emu.AddKey(testAppID, testKid, &keyA.PublicKey)
			dir := t.TempDir()
			key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
			cfg := writeConfig(t, dir, app{region: "cn", apiBase: base, audience: "api.coze.cn", clientID: testAppID, keyID: testKid, keyFile: key})
			return []string{"--config", cfg}
		}, 0, []string{"! clock              local clock is 45 s behind Coze's", "✓ token exchange"}, nil},

		{"unreachable host", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			cfg = strings.Replace(readFile(t, cfg), apiBaseOf(t, cfg), closedURL(t), 1)
			return []string{"--config", writeFile(t, dir, "cozeauth.yaml", cfg, 0o600)}
		}, 1, []string{"✗ Coze API reachable", "refused", "cause: nothing accepts connections there", "– clock", "skipped: Coze is unreachable"}, nil},

		{"app id not numeric", func(t *testing.T) []string {
			_, cfg, dir := cnSetup(t)
			cfg = strings.Replace(readFile(t, cfg), testAppID, "my-bot", 1)
			return []string{"--config", writeFile(t, dir, "cozeauth.yaml", cfg, 0o600)}
		}, 1, []string{"✗ app id, key id", `"my-bot" is not a numeric app id`, "Coze takes iss as the numeric app id (应用ID)", "skipped: fix the app id and key id first"}, nil},

		{"iss mismatch: the key belongs to another app", func(t *testing.T) []string {
			emu, cfg, _ := cnSetup(t)
			emu.AddKey("1179999999999", testKid, &keyA.PublicKey)
			return []string{"--config", cfg}
		}, 1, []string{"iss mismatch", "app id 1170000000001 (应用ID) is not the app that owns key id \"kid-a\""}, nil},

		{"no such config file", func(t *testing.T) []string {
			return []string{"--config", t.TempDir() + "/nope.yaml"}
		}, 1, []string{"✗ configuration", "no such file", "– private key"}, nil},

		{"no such app", func(t *testing.T) []string {
			_, cfg, _ := cnSetup(t)
			return []string{"--config", cfg, "--app", "other"}
		}, 1, []string{`no app named "other"`, "use --app with one of: bot"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"doctor"}, tt.setup(t)...)
			out, errOut, code := cli(t, "", args...)
			if testing.Verbose() {
				t.Log(out)
			}
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			wantAll(t, out, tt.want...)
			for _, w := range tt.dontWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			if strings.Contains(out, "PRIVATE KEY-----") || strings.Contains(out, "czs_") {
				t.Errorf("doctor printed a secret:\n%s", out)
			}
		})
	}
}

func TestDoctorJSON(t *testing.T) {
	testKeys(t)
	cn, cnBase := newEmu(t, "cn", 0)
	cn.AddKey(testAppID, testKid, &keyA.PublicKey)
	_, comBase := newEmu(t, "com", 0)
	dir := t.TempDir()
	key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
	cfg := writeConfig(t, dir, app{region: "com", apiBase: comBase, audience: "api.coze.com", clientID: testAppID, keyID: testKid, keyFile: key})
	out, _, code := cli(t, "", "doctor", "--json", "--config", cfg, "--region-base", "cn="+cnBase)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.OK || rep.TokenObtained || rep.SuggestedRegion != "cn" || rep.App != "bot" {
		t.Errorf("report = %+v", rep)
	}
	want := map[string]doctor.Status{"config": doctor.OK, "key": doctor.OK, "ids": doctor.OK, "reach": doctor.OK, "clock": doctor.OK, "exchange": doctor.Fail}
	for _, c := range rep.Checks {
		if s, ok := want[c.ID]; ok && s != c.Status {
			t.Errorf("check %s: %s, want %s", c.ID, c.Status, s)
		}
		delete(want, c.ID)
		if c.ID == "exchange" && (c.LogID == "" || !strings.Contains(c.Cause, "set region cn")) {
			t.Errorf("exchange check = %+v", c)
		}
	}
	if len(want) > 0 {
		t.Errorf("checks missing: %v", want)
	}
}
