package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// Secrets of the tests: none may appear in an error or a warning.
const (
	testPAT    = "pat_T0k3nV4lu3Th4tMustN3v3rB3Sh0wn"
	testSAT    = "sat_S3rv1c3T0k3nTh4tMustN3v3rB3Sh0wn"
	testSecret = "Wk5ecr3t-web-client-secret-n0t-sh0wn"
)

// everyKind is a config with one app of each kind, as the README
// documents them.
const everyKind = `apps:
  - name: jwt
    region: cn
    client_id: "1171234567890"
    key_id: kid_jwt
    private_key_file: private_key.pem
  - name: pat
    kind: pat
    region: cn
    token_file: secrets/pat.txt
  - name: web
    kind: web
    region: cn
    client_id: "1171234567891"
    client_secret_file: secrets/client_secret.txt
    redirect_uri: https://auth.example.com/oauth/callback
    workspace_id: "7480000000000000002"
  - name: pkce
    kind: pkce
    region: com
    client_id: "7351234567892"
    redirect_uri: http://127.0.0.1:8080/oauth/callback
  - name: device
    kind: device
    region: cn
    client_id: "1171234567893"
    workspace_id: "7480000000000000001"
`

func writeEveryKind(t *testing.T) (path, dir string) {
	t.Helper()
	path = writeConfig(t, everyKind)
	dir = filepath.Dir(path)
	writeFile(t, filepath.Join(dir, "secrets", "pat.txt"), testPAT+"\n")
	writeFile(t, filepath.Join(dir, "secrets", "client_secret.txt"), testSecret+"\n")
	return path, dir
}

func TestLoadFileEveryKind(t *testing.T) {
	path, dir := writeEveryKind(t)
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkAccepted(t, cfg)
	for _, w := range cfg.Warnings {
		t.Errorf("unexpected warning: %s", w)
	}
	get := func(name string) *config.App {
		a, ok := cfg.App(name)
		if !ok {
			t.Fatalf("no app %q", name)
		}
		if string(a.Kind) != name {
			t.Fatalf("app %q has kind %q", name, a.Kind)
		}
		return a
	}
	if a := get("jwt"); a.JWT == nil || a.JWT.KeyID != "kid_jwt" || !a.JWT.Key.Equal(key1) || a.Signer() == nil {
		t.Errorf("jwt app = %+v", a)
	}
	if a := get("pat"); a.PAT.Token.Reveal() != testPAT || a.PAT.TokenSource != "file "+filepath.Join(dir, "secrets", "pat.txt") ||
		a.ClientID != "" || a.Signer() != nil || a.APIBase != "https://api.coze.cn" {
		t.Errorf("pat app: source %q client %q api %q", a.PAT.TokenSource, a.ClientID, a.APIBase)
	}
	a := get("web")
	if a.Web.ClientSecret.Reveal() != testSecret || a.Web.SecretSource != "file "+filepath.Join(dir, "secrets", "client_secret.txt") ||
		a.Web.RedirectURI != "https://auth.example.com/oauth/callback" || a.RedirectURI() != a.Web.RedirectURI || a.WorkspaceID() != "7480000000000000002" ||
		a.ClientID != "1171234567891" || a.WWWBase != "https://www.coze.cn" || a.TokenURL() != "https://api.coze.cn/api/permission/oauth2/token" {
		t.Errorf("web app: source %q redirect %q client %q www %q", a.Web.SecretSource, a.Web.RedirectURI, a.ClientID, a.WWWBase)
	}
	if a := get("pkce"); a.PKCE.RedirectURI != "http://127.0.0.1:8080/oauth/callback" || a.RedirectURI() != a.PKCE.RedirectURI || a.WorkspaceID() != "" ||
		a.WWWBase != "https://www.coze.com" || a.APIBase != "https://api.coze.com" {
		t.Errorf("pkce app = redirect %q www %q", a.PKCE.RedirectURI, a.WWWBase)
	}
	if a := get("device"); a.Device.WorkspaceID != "7480000000000000001" || a.RedirectURI() != "" {
		t.Errorf("device app = %+v", a.Device)
	}
}

func TestLoadFilePATInlineAndFormats(t *testing.T) {
	tests := []struct {
		token, warn string
	}{
		{testPAT, ""},
		{testSAT, ""},
		{"czs_An0Auth4cc3ssT0k3nN0tAP4T", "czs_ like an OAuth access token"},
		{"studio-0123456789abcdef", "does not start with pat_ or sat_"},
	}
	for _, tt := range tests {
		cfg, err := config.LoadFile(writeConfig(t, "apps:\n  - {name: p, kind: pat, token: \""+tt.token+"\"}\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.token[:4], err)
		}
		a := cfg.Apps[0]
		if a.PAT.Token.Reveal() != tt.token || a.PAT.TokenSource != "apps[0].token" {
			t.Errorf("%s: source %q", tt.token[:4], a.PAT.TokenSource)
		}
		warned := strings.Join(cfg.Warnings, "\n")
		if tt.warn == "" && warned != "" || !strings.Contains(warned, tt.warn) {
			t.Errorf("%s: warnings %q, want %q", tt.token[:4], warned, tt.warn)
		}
		if strings.Contains(warned, tt.token) {
			t.Errorf("a warning shows the token: %s", warned)
		}
	}
}

func TestLoadEnvKinds(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	patFile := writeFile(t, filepath.Join(dir, "pat.txt"), testPAT)
	secretFile := writeFile(t, filepath.Join(dir, "secret.txt"), testSecret)
	tests := []struct {
		name  string
		env   map[string]string
		kind  config.Kind
		check func(t *testing.T, a *config.App)
		warn  string
	}{
		{"COZE_API_TOKEN alone is a pat app", map[string]string{"COZE_API_TOKEN": testPAT}, config.KindPAT,
			func(t *testing.T, a *config.App) {
				if a.PAT.Token.Reveal() != testPAT || a.PAT.TokenSource != "COZE_API_TOKEN" {
					t.Errorf("source %q", a.PAT.TokenSource)
				}
			}, ""},
		{"COZE_API_TOKEN_FILE", map[string]string{"COZE_API_TOKEN_FILE": patFile, "COZE_API_BASE": "https://coze.example.internal"}, config.KindPAT,
			func(t *testing.T, a *config.App) {
				if a.PAT.Token.Reveal() != testPAT || a.PAT.TokenSource != "file "+patFile || a.APIBase != "https://coze.example.internal" {
					t.Errorf("source %q api %q", a.PAT.TokenSource, a.APIBase)
				}
			}, ""},
		{"the SDKs' web variables", map[string]string{"COZE_CLIENT_ID": appCN, "COZE_CLIENT_SECRET": testSecret,
			"COZE_REDIRECT_URL": "https://bot.example.com/callback"}, config.KindWeb,
			func(t *testing.T, a *config.App) {
				if a.ClientID != appCN || a.Web.ClientSecret.Reveal() != testSecret || a.Web.SecretSource != "COZE_CLIENT_SECRET" ||
					a.Web.RedirectURI != "https://bot.example.com/callback" {
					t.Errorf("web = %q %q %q", a.ClientID, a.Web.SecretSource, a.Web.RedirectURI)
				}
			}, ""},
		{"web secret from a file", map[string]string{"COZE_CLIENT_ID": appCN, "COZE_CLIENT_SECRET_FILE": secretFile,
			"COZE_REDIRECT_URL": "http://localhost:8080/callback"}, config.KindWeb,
			func(t *testing.T, a *config.App) {
				if a.Web.ClientSecret.Reveal() != testSecret || a.Web.SecretSource != "file "+secretFile {
					t.Errorf("source %q", a.Web.SecretSource)
				}
			}, ""},
		{"COZEAUTH_APP_KIND=pkce", map[string]string{"COZEAUTH_APP_KIND": "pkce", "COZE_CLIENT_ID": appCOM, "COZE_REGION": "com",
			"COZE_REDIRECT_URL": "https://bot.example.com/callback"}, config.KindPKCE,
			func(t *testing.T, a *config.App) {
				if a.PKCE.RedirectURI != "https://bot.example.com/callback" || a.WWWBase != "https://www.coze.com" {
					t.Errorf("pkce = %+v", a.PKCE)
				}
			}, ""},
		{"COZEAUTH_APP_KIND=device", map[string]string{"COZEAUTH_APP_KIND": "Device", "COZE_CLIENT_ID": appCN, "COZE_WORKSPACE_ID": "74"}, config.KindDevice,
			func(t *testing.T, a *config.App) {
				if a.Device.WorkspaceID != "74" {
					t.Errorf("device = %+v", a.Device)
				}
			}, ""},
		{"JWT variables win over a stray COZE_API_TOKEN", with(workerEnv(), "COZE_API_TOKEN", testPAT), config.KindJWT,
			func(t *testing.T, a *config.App) {
				if a.JWT.KeyID != "kid_worker" || a.PAT != nil {
					t.Errorf("jwt = %+v", a.JWT)
				}
			}, "COZE_API_TOKEN is set but not used: the app is kind jwt"},
		{"COZEAUTH_APP_KIND=pat ignores the JWT variables", with(workerEnv(), "COZE_API_TOKEN", testPAT, "COZEAUTH_APP_KIND", "pat"), config.KindPAT,
			func(t *testing.T, a *config.App) {
				if a.PAT.Token.Reveal() != testPAT || a.ClientID != "" || a.JWT != nil {
					t.Errorf("pat app has client %q", a.ClientID)
				}
			}, "PRIVATE_KEY is set but not used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !config.EnvSet(env(tt.env)) {
				t.Error("EnvSet is false")
			}
			cfg, err := config.LoadEnv(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			a := &cfg.Apps[0]
			if a.Kind != tt.kind {
				t.Fatalf("kind %q, want %q", a.Kind, tt.kind)
			}
			checkAccepted(t, cfg)
			tt.check(t, a)
			warned := strings.Join(cfg.Warnings, "\n")
			if tt.warn == "" && warned != "" || !strings.Contains(warned, tt.warn) {
				t.Errorf("warnings %q, want %q", warned, tt.warn)
			}
			for _, s := range []string{testPAT, testSecret, "MII"} {
				if strings.Contains(warned, s) {
					t.Errorf("a warning shows a secret: %s", warned)
				}
			}
		})
	}
}

// TestConsoleDownloadEveryClientType: coze_oauth_config.json of each
// client_type loads as the app of that kind, from a file's
// oauth_config_file and from COZE_OAUTH_CONFIG.
func TestConsoleDownloadEveryClientType(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	downloads := map[config.Kind]map[string]any{
		config.KindJWT: {"client_type": "jwt", "client_id": appCOM, "private_key": pem1, "public_key_id": "kid_console",
			"coze_api_base": "https://api.coze.com", "coze_www_base": "https://www.coze.com"},
		config.KindWeb: {"client_type": "web", "client_id": appCN, "client_secret": testSecret,
			"coze_api_base": "https://api.coze.cn", "coze_www_base": "https://www.coze.cn",
			"redirect_uris": []string{"https://bot.example.com/oauth/callback", "http://localhost:8080/cb"}},
		config.KindPKCE: {"client_type": "pkce", "client_id": appCN, "coze_api_base": "https://api.coze.cn",
			"coze_www_base": "https://www.coze.cn", "redirect_uris": []string{"http://127.0.0.1:9000/cb"}},
		config.KindDevice: {"client_type": "device", "client_id": appCOM, "coze_api_base": "https://api.coze.com",
			"coze_www_base": "https://www.coze.com"},
	}
	check := func(t *testing.T, k config.Kind, a *config.App, path string) {
		t.Helper()
		if a.Kind != k || a.APIBase != downloads[k]["coze_api_base"] || a.WWWBase != downloads[k]["coze_www_base"] || a.ClientID != downloads[k]["client_id"] {
			t.Fatalf("app = kind %q api %q www %q client %q", a.Kind, a.APIBase, a.WWWBase, a.ClientID)
		}
		switch k {
		case config.KindJWT:
			if a.JWT.KeyID != "kid_console" || !a.JWT.Key.Equal(key1) || a.JWT.KeySource != path+": private_key" {
				t.Errorf("jwt = %q %q", a.JWT.KeyID, a.JWT.KeySource)
			}
		case config.KindWeb:
			if a.Web.ClientSecret.Reveal() != testSecret || a.Web.SecretSource != path+": client_secret" ||
				a.Web.RedirectURI != "https://bot.example.com/oauth/callback" {
				t.Errorf("web = %q %q", a.Web.SecretSource, a.Web.RedirectURI)
			}
		case config.KindPKCE:
			if a.PKCE.RedirectURI != "http://127.0.0.1:9000/cb" {
				t.Errorf("pkce = %q", a.PKCE.RedirectURI)
			}
		case config.KindDevice:
			if a.Device == nil || a.Device.WorkspaceID != "" {
				t.Errorf("device = %+v", a.Device)
			}
		}
	}
	for k, fields := range downloads {
		path := writeFile(t, filepath.Join(dir, string(k), "coze_oauth_config.json"), consoleJSON(t, fields))
		t.Run(string(k)+" from YAML", func(t *testing.T) {
			cfg, err := config.LoadFile(writeFile(t, filepath.Join(dir, string(k)+".yaml"),
				"apps:\n  - name: console\n    oauth_config_file: "+string(k)+"/coze_oauth_config.json\n"))
			if err != nil {
				t.Fatal(err)
			}
			checkAccepted(t, cfg)
			check(t, k, &cfg.Apps[0], path)
		})
		t.Run(string(k)+" from COZE_OAUTH_CONFIG", func(t *testing.T) {
			cfg, err := config.LoadEnv(env(map[string]string{"COZE_OAUTH_CONFIG": path}))
			if err != nil {
				t.Fatal(err)
			}
			checkAccepted(t, cfg)
			check(t, k, &cfg.Apps[0], path)
		})
	}
	t.Run("YAML redirect_uri wins, and one the download does not list is warned about", func(t *testing.T) {
		cfg, err := config.LoadFile(writeFile(t, filepath.Join(dir, "over.yaml"),
			"apps:\n  - name: w\n    oauth_config_file: web/coze_oauth_config.json\n    redirect_uri: https://other.example.com/cb\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Apps[0].Web.RedirectURI; got != "https://other.example.com/cb" {
			t.Errorf("redirect = %q", got)
		}
		if w := strings.Join(cfg.Warnings, "\n"); !strings.Contains(w, "not among the redirect URIs") || strings.Contains(w, testSecret) {
			t.Errorf("warnings = %q", w)
		}
		cfg, err = config.LoadFile(writeFile(t, filepath.Join(dir, "second.yaml"),
			"apps:\n  - name: w\n    oauth_config_file: web/coze_oauth_config.json\n    redirect_uri: http://localhost:8080/cb\n"))
		if err != nil || cfg.Apps[0].Web.RedirectURI != "http://localhost:8080/cb" || len(cfg.Warnings) != 0 {
			t.Errorf("the download's second redirect URI: %v %q", err, cfg.Warnings)
		}
	})
	t.Run("kind and client_type disagree", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "mismatch.yaml"), "apps:\n  - name: w\n    kind: pkce\n    oauth_config_file: web/coze_oauth_config.json\n")
		_, err := config.LoadFile(path)
		findProblem(t, err, "apps[0].kind", "kind pkce, but")
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("error shows the client secret:\n%v", err)
		}
	})
}

// TestKindErrors: every missing or invalid field of every kind is refused
// with its field, what is wrong and a fix, and no secret in the text.
func TestKindErrors(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "private_key.pem"), pem1)
	writeFile(t, filepath.Join(dir, "empty.txt"), "\n")
	writeFile(t, filepath.Join(dir, "spaced.txt"), "pat_abc def\n")
	writeFile(t, filepath.Join(dir, "secret.txt"), testSecret)
	web := "    kind: web\n    client_id: \"1\"\n    client_secret_file: secret.txt\n"
	pkce := "    kind: pkce\n    client_id: \"1\"\n"
	tests := []struct {
		name, yaml, field, msg string
	}{
		{"unknown kind", "    kind: saml\n", "apps[0].kind", `unknown app kind "saml"`},
		{"pat without token", "    kind: pat\n", "apps[0].token", "missing"},
		{"pat token twice", "    kind: pat\n    token: " + testPAT + "\n    token_file: secret.txt\n", "apps[0].token", "not both"},
		{"pat token file missing", "    kind: pat\n    token_file: nope/pat.txt\n", "apps[0].token_file", "cannot read"},
		{"pat token file empty", "    kind: pat\n    token_file: empty.txt\n", "apps[0].token_file", "is empty"},
		{"pat token with a space", "    kind: pat\n    token_file: spaced.txt\n", "apps[0].token_file", "has a space"},
		{"pat token with a space inline", "    kind: pat\n    token: \"" + testPAT + " x\"\n", "apps[0].token", "has a space"},
		{"pat with an app id", "    kind: pat\n    token: " + testPAT + "\n    client_id: \"1\"\n", "apps[0].client_id", "client_id is a field of jwt or web or pkce or device apps, and this app is kind pat"},
		{"pat channel", "    kind: pat\n    token: " + testPAT + "\n    channel: true\n", "apps[0].channel", "a pat app is never a channel app"},
		{"token on a JWT app", "    client_id: \"1\"\n    key_id: k\n    private_key_file: private_key.pem\n    token: " + testPAT + "\n", "apps[0].token", "token is a field of pat apps, and this app is kind jwt"},
		{"web without secret", "    kind: web\n    client_id: \"1\"\n    redirect_uri: https://a.example/cb\n", "apps[0].client_secret", "missing"},
		{"web secret twice", web + "    client_secret: x\n    redirect_uri: https://a.example/cb\n", "apps[0].client_secret", "not both"},
		{"web secret file missing", "    kind: web\n    client_id: \"1\"\n    client_secret_file: s.txt\n    redirect_uri: https://a.example/cb\n", "apps[0].client_secret_file", "cannot read"},
		{"web without redirect", web, "apps[0].redirect_uri", "missing: a web app needs a redirect URI"},
		{"web without app id", "    kind: web\n    client_secret_file: secret.txt\n    redirect_uri: https://a.example/cb\n", "apps[0].client_id", "missing"},
		{"web plain http elsewhere", web + "    redirect_uri: http://bot.example.com/cb\n", "apps[0].redirect_uri", "plain http on a host other than this machine"},
		{"web relative redirect", web + "    redirect_uri: /oauth/callback\n", "apps[0].redirect_uri", "not an absolute http:// or https:// URL"},
		{"web redirect fragment", web + "    redirect_uri: https://a.example/cb#x\n", "apps[0].redirect_uri", "#fragment"},
		{"web redirect user", web + "    redirect_uri: https://u:p@a.example/cb\n", "apps[0].redirect_uri", "user name or password"},
		{"web redirect scheme", web + "    redirect_uri: ftp://a.example/cb\n", "apps[0].redirect_uri", "not an absolute http"},
		{"web without login page", web + "    redirect_uri: https://a.example/cb\n    api_base: https://coze.example.internal\n", "apps[0].www_base", "missing: a web app sends people to Coze's login page"},
		{"web channel", web + "    redirect_uri: https://a.example/cb\n    channel: true\n", "apps[0].channel", "never a channel app"},
		{"pkce without redirect", pkce, "apps[0].redirect_uri", "missing: a pkce app needs a redirect URI"},
		{"pkce app id not a number", "    kind: pkce\n    client_id: my-app\n    redirect_uri: https://a.example/cb\n", "apps[0].client_id", "not a numeric app id"},
		{"pkce with a secret", pkce + "    redirect_uri: https://a.example/cb\n    client_secret_file: secret.txt\n", "apps[0].client_secret_file", "is a field of web apps"},
		{"device without app id", "    kind: device\n", "apps[0].client_id", "missing"},
		{"device workspace", "    kind: device\n    client_id: \"1\"\n    workspace_id: my-space\n", "apps[0].workspace_id", "not a numeric workspace id"},
		{"pkce workspace", pkce + "    redirect_uri: https://a.example/cb\n    workspace_id: \"7x\"\n", "apps[0].workspace_id", "not a numeric workspace id"},
		{"device redirect", "    kind: device\n    client_id: \"1\"\n    redirect_uri: https://a.example/cb\n", "apps[0].redirect_uri", "redirect_uri is a field of web or pkce apps"},
		{"device key", "    kind: device\n    client_id: \"1\"\n    private_key_file: private_key.pem\n", "apps[0].private_key_file", "is a field of jwt apps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "c.yaml"), "apps:\n  - name: a\n"+tt.yaml)
			_, err := config.LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded")
			}
			fe := findProblem(t, err, tt.field, tt.msg)
			if fe != nil && (fe.Fix == "" || fe.Source != path) {
				t.Errorf("problem %+v has no fix or the wrong source", fe)
			}
			for _, s := range []string{testPAT, testSecret, "pat_abc def"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows a secret:\n%v", err)
				}
			}
		})
	}
}

// TestKindEnvErrors: the same problems from the environment name the
// variable.
func TestKindEnvErrors(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		field, msg   string
		secretToHide string
	}{
		{"unknown COZEAUTH_APP_KIND", map[string]string{"COZEAUTH_APP_KIND": "oauth"}, "COZEAUTH_APP_KIND", `unknown app kind "oauth"`, ""},
		{"pat without token", map[string]string{"COZEAUTH_APP_KIND": "pat"}, "COZE_API_TOKEN", "missing", ""},
		{"web without redirect", map[string]string{"COZE_CLIENT_ID": appCN, "COZE_CLIENT_SECRET": testSecret}, "COZE_REDIRECT_URL", "needs a redirect URI", testSecret},
		{"web without app id", map[string]string{"COZE_CLIENT_SECRET": testSecret, "COZE_REDIRECT_URL": "https://a.example/cb"}, "CLIENT_ID", "missing", testSecret},
		{"the token where its file belongs", map[string]string{"COZE_API_TOKEN_FILE": testPAT}, "COZE_API_TOKEN_FILE", "does not look like a file path", testPAT},
		{"the secret where its file belongs", map[string]string{"COZE_CLIENT_ID": appCN, "COZE_CLIENT_SECRET_FILE": "Sh0rtS3cret",
			"COZE_REDIRECT_URL": "https://a.example/cb"}, "COZE_CLIENT_SECRET_FILE", "may be the client secret itself", "Sh0rtS3cret"},
		{"the token as the app id", map[string]string{"COZEAUTH_APP_KIND": "web", "COZE_CLIENT_ID": testPAT, "COZE_CLIENT_SECRET": testSecret,
			"COZE_REDIRECT_URL": "https://a.example/cb"}, "COZE_CLIENT_ID", "not a numeric app id", testPAT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.LoadEnv(env(tt.env))
			if err == nil {
				t.Fatal("LoadEnv succeeded")
			}
			findProblem(t, err, tt.field, tt.msg)
			if tt.secretToHide != "" && strings.Contains(err.Error(), tt.secretToHide) {
				t.Errorf("error shows a secret:\n%v", err)
			}
		})
	}
}

// TestSecretFilePermissions: token and client secret files others can
// read are warned about, as key files are.
func TestSecretFilePermissions(t *testing.T) {
	path, dir := writeEveryKind(t)
	for _, f := range []string{"secrets/pat.txt", "secrets/client_secret.txt"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(cfg.Warnings, "\n")
	for _, f := range []string{"pat.txt", "client_secret.txt"} {
		if !strings.Contains(w, f+" is readable by group or others") {
			t.Errorf("no warning for %s in %q", f, w)
		}
	}
}

// TestAppsNeverPrintSecrets: an App printed, logged or marshalled in any
// usual way shows no token or client secret.
func TestAppsNeverPrintSecrets(t *testing.T) {
	path, _ := writeEveryKind(t)
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range renderings(t, cfg) {
		for _, s := range []string{testPAT, testSecret} {
			if strings.Contains(text, s) {
				t.Fatalf("a rendering of the config shows a secret:\n%s", text)
			}
		}
	}
	if !strings.Contains(renderings(t, cfg)[0], "(hidden)") {
		t.Error("the secrets are not even shown as hidden")
	}
}

// TestKindOnlyItsSubStruct: exactly the kind's sub-struct is set, even
// when the app has problems (consumers switch on it).
func TestKindOnlyItsSubStruct(t *testing.T) {
	for _, k := range config.Kinds {
		cfg, _ := config.LoadFile(writeConfig(t, "apps:\n  - {name: a, kind: "+string(k)+"}\n"))
		if cfg == nil || len(cfg.Apps) != 1 {
			t.Fatalf("%s: no app", k)
		}
		a := cfg.Apps[0]
		got := map[config.Kind]bool{config.KindJWT: a.JWT != nil, config.KindPAT: a.PAT != nil, config.KindWeb: a.Web != nil,
			config.KindPKCE: a.PKCE != nil, config.KindDevice: a.Device != nil}
		for kk, set := range got {
			if set != (kk == k) {
				t.Errorf("kind %s: %s sub-struct set = %v", k, kk, set)
			}
		}
	}
	if k, err := config.ParseKind(""); k != config.KindJWT || err != nil {
		t.Errorf(`ParseKind("") = %q, %v; want jwt: configs without kind keep working`, k, err)
	}
	if _, err := config.ParseKind("oauth"); err == nil {
		t.Error("ParseKind accepted oauth")
	}
	if config.KindJWT.UserDelegated() || config.KindPAT.UserDelegated() || !config.KindWeb.UserDelegated() ||
		!config.KindPKCE.UserDelegated() || !config.KindDevice.UserDelegated() {
		t.Error("UserDelegated is wrong")
	}
}

// TestScopeOnOtherKindsWarns: a scope on an app that sends Coze none is
// enforced by the gateway only, and the warning says so without pointing
// at channel: true, which only JWT apps may set.
func TestScopeOnOtherKindsWarns(t *testing.T) {
	cfg, err := config.LoadFile(writeConfig(t, "apps:\n  - {name: p, kind: pat, token: "+testPAT+", scope: {account_permission: {permission_list: [Connector.botChat]}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(cfg.Warnings, "\n")
	if !strings.Contains(w, `app "p": a pat app sends Coze no scope`) || strings.Contains(w, "channel: true") || strings.Contains(w, testPAT) {
		t.Errorf("warnings = %q", w)
	}
}
