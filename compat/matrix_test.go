package compat

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/server"
)

// update rewrites docs/compat.md from the run instead of checking it:
//
//	go test ./compat -run TestCompatMatrix -update
//
// (or COZEAUTH_UPDATE_COMPAT=1 go test ./compat -run TestCompatMatrix).
var update = flag.Bool("update", false, "rewrite docs/compat.md from the compatibility matrix run")

// compatDoc is the matrix the test writes, relative to this package.
const compatDoc = "../docs/compat.md"

// Ids of the matrix's emulated world.
const (
	matrixApp = "1170000000000"
	matrixKid = "matrix-kid"
	matrixBot = emulator.SeedBotID // the bot the scoped client may chat with
	otherBot  = emulator.SeedBot2ID
)

// matrixRow is one line the runner (node/matrix.mjs) prints.
type matrixRow struct {
	Call    string `json:"call"`
	File    string `json:"file"`
	OK      *bool  `json:"ok"`
	Skipped bool   `json:"skipped"`
	Error   string `json:"error"`
}

// TestCompatMatrix runs every row of compat/node/matrix/*.mjs with the
// official Node SDK twice: straight at the emulator with a token minted
// for its JWT app, and through the cozeauth gateway with a client key. It
// also checks that a client whose policy narrows tokens to one bot and
// Connector.botChat is refused outside that scope through the gateway. The
// result table must match docs/compat.md (see update) and every row must
// pass.
func TestCompatMatrix(t *testing.T) {
	node := needNode(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{StreamDelay: -1})
	emu.AddKey(matrixApp, matrixKid, &key.PublicKey)
	emu.SetAppOptions(matrixApp, emulator.AppOptions{Channel: true})
	cz := httptest.NewServer(emu)
	defer cz.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	signer := &coze.Signer{ClientID: matrixApp, KeyID: matrixKid, Key: key, Audience: "api.coze.cn"}
	tok, err := (&coze.Client{}).JWTToken(ctx, signer, coze.JWTRequest{
		TokenURL: coze.TokenURL(cz.URL, "", ""), DurationSeconds: 3600,
		Claims: coze.Claims{SessionName: "matrix-direct"},
	})
	if err != nil {
		t.Fatalf("minting the direct token: %v", err)
	}

	gw, keys := matrixGateway(t, cz.URL, key)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	jwtCtx := map[string]any{
		"emulatorURL": cz.URL, "botId": matrixBot,
		"jwt": map[string]string{"appId": matrixApp, "keyid": matrixKid,
			"privateKey": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))},
	}
	direct := runMatrix(ctx, t, node, matrixEnv{mode: "direct", base: cz.URL, token: tok.AccessToken, ctx: jwtCtx})
	via := runMatrix(ctx, t, node, matrixEnv{mode: "gateway", base: gw, token: keys["matrix"],
		headers: map[string]string{"X-User-ID": "matrix-sdk"}, ctx: jwtCtx})
	if len(direct) == 0 {
		t.Fatal("the runner reported no rows")
	}
	if len(via) != len(direct) {
		t.Errorf("the gateway run reported %d rows, the direct run %d", len(via), len(direct))
	}

	scoped := checkScopedRefusals(ctx, t, gw, keys["narrow"])
	doc := renderMatrix(direct, via, scoped)
	if *update || os.Getenv("COZEAUTH_UPDATE_COMPAT") != "" {
		if err := os.WriteFile(compatDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if old, err := os.ReadFile(compatDoc); err != nil || string(old) != doc {
		t.Errorf("docs/compat.md is not this run's matrix: regenerate it with\n"+
			"  go test ./compat -run TestCompatMatrix -update\n--- this run:\n%s", doc)
	}
	for _, set := range []struct {
		name string
		rows []matrixRow
	}{{"direct", direct}, {"via gateway", via}} {
		for _, r := range set.rows {
			if !r.Skipped && (r.OK == nil || !*r.OK) {
				t.Errorf("%s, %s (%s): %s", set.name, r.Call, r.File, r.Error)
			}
		}
	}
	if got := emu.LastAPIAuth(); strings.Contains(got, keys["matrix"]) || strings.Contains(got, keys["narrow"]) {
		t.Fatal("a client key reached Coze")
	}
}

// matrixGateway starts cozeauth in front of the emulator at api with two
// clients: "matrix" (every permission the app has) and "narrow" (tokens
// scoped to Connector.botChat on matrixBot). It answers the gateway's URL
// and the client keys by name.
func matrixGateway(t *testing.T, api string, key *rsa.PrivateKey) (string, map[string]string) {
	t.Helper()
	keys := map[string]string{}
	var clients []policy.Client
	for _, c := range []struct{ name, pol string }{{"matrix", "sdk"}, {"narrow", "narrow"}} {
		k, hash, err := policy.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[c.name] = k
		clients = append(clients, policy.Client{Name: c.name, Policy: c.pol, Hash: hash})
	}
	narrow := &coze.Scope{
		AccountPermission:   &coze.AccountPermission{PermissionList: []string{"Connector.botChat"}},
		AttributeConstraint: &coze.AttributeConstraint{ConnectorBotChatAttribute: &coze.BotChatAttribute{BotIDList: []string{matrixBot}}},
	}
	cfg := &config.Config{Source: "test", DefaultSession: "default-session", DefaultApp: "bot",
		Apps: []config.App{{Name: "bot", Kind: config.KindJWT, ClientID: matrixApp, Channel: true,
			JWT: &config.JWTApp{KeyID: matrixKid, Key: key}, APIBase: api, WSBase: coze.WSBaseFor(api),
			Audience: "api.coze.cn", Duration: 900}},
		Access: config.Access{
			Policies: []policy.Policy{
				{Name: "sdk", Apps: []string{"bot"}, Session: policy.SessionTrust},
				{Name: "narrow", Apps: []string{"bot"}, Session: policy.SessionTrust, MaxScope: narrow},
			},
			Clients: clients,
		}}
	a := &cfg.Apps[0]
	b := broker.New(map[string]broker.Source{"bot": &credential.JWT{Client: &coze.Client{}, Signer: a.Signer(), TokenURL: a.TokenURL()}}, broker.Options{})
	t.Cleanup(b.Close)
	srv, err := server.New(cfg, b, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	return gw.URL, keys
}

// matrixEnv is one run of the runner.
type matrixEnv struct {
	mode, base, token string
	headers           map[string]string
	ctx               map[string]any
}

// runMatrix runs node/matrix.mjs once and parses its lines.
func runMatrix(ctx context.Context, t *testing.T, node string, e matrixEnv) []matrixRow {
	t.Helper()
	hdr, _ := json.Marshal(e.headers)
	c, _ := json.Marshal(e.ctx)
	cmd := exec.CommandContext(ctx, node, filepath.Join("node", "matrix.mjs"))
	cmd.Env = append(os.Environ(), "MATRIX_MODE="+e.mode, "MATRIX_BASE_URL="+e.base,
		"MATRIX_TOKEN="+e.token, "MATRIX_HEADERS="+string(hdr), "MATRIX_CTX="+string(c))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node matrix.mjs (%s): %v\n%s\n%s", e.mode, err, out, stderr.Bytes())
	}
	var rows []matrixRow
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue // a row's own console output
		}
		var r matrixRow
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("matrix.mjs (%s) printed %q: %v", e.mode, line, err)
		}
		rows = append(rows, r)
	}
	if stderr.Len() > 0 {
		t.Logf("matrix.mjs (%s) stderr:\n%s", e.mode, stderr.Bytes())
	}
	return rows
}

// scopedCheck is one call of the narrow client and how it ended.
type scopedCheck struct {
	what, want, got string
	ok              bool
}

// checkScopedRefusals calls through the gateway with the narrow client:
// chat with its bot passes, users.me and chat with another bot are
// refused (users.me by Coze's 4101, since cozeauth leaves permissions to
// Coze for a channel app).
func checkScopedRefusals(ctx context.Context, t *testing.T, gw, key string) []scopedCheck {
	t.Helper()
	call := func(method, path, body string) (int, map[string]any) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, gw+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-User-ID", "narrow-user")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m)
		return resp.StatusCode, m
	}
	chat := func(bot string) string {
		return `{"bot_id":"` + bot + `","user_id":"narrow","additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`
	}
	var out []scopedCheck
	st, m := call(http.MethodPost, "/v3/chat", chat(matrixBot))
	out = append(out, scopedCheck{"chat.create with bot " + matrixBot, "answered", fmt.Sprintf("HTTP %d, code %v", st, m["code"]),
		st == http.StatusOK && m["code"] == float64(0)})
	st, m = call(http.MethodGet, "/v1/users/me", "")
	out = append(out, scopedCheck{"users.me", "refused by Coze (4101)", fmt.Sprintf("HTTP %d, code %v", st, m["code"]),
		m["code"] == float64(4101)})
	st, m = call(http.MethodPost, "/v3/chat", chat(otherBot))
	out = append(out, scopedCheck{"chat.create with bot " + otherBot, "refused", fmt.Sprintf("HTTP %d, code %v", st, m["code"]),
		st >= 400 || (m["code"] != nil && m["code"] != float64(0))})
	for _, c := range out {
		if !c.ok {
			t.Errorf("scoped client through the gateway: %s: want %s, got %s", c.what, c.want, c.got)
		}
	}
	return out
}

// renderMatrix is docs/compat.md for two runs and the scoped checks.
func renderMatrix(direct, via []matrixRow, scoped []scopedCheck) string {
	var b strings.Builder
	b.WriteString("# SDK compatibility matrix\n\n" +
		"Generated by `go test ./compat -run TestCompatMatrix -update` (compat/matrix_test.go): Coze's\n" +
		"official Node SDK (`@coze/api`, the version in compat/node/package-lock.json) makes every call\n" +
		"listed in compat/node/matrix/*.mjs, once straight at the Coze emulator with a token of its JWT\n" +
		"app (\"direct\") and once through the cozeauth gateway with a cozeauth client key (\"via gateway\").\n" +
		"The test fails when a row fails or when this file is not the run's table.\n\n" +
		"| call | file | direct | via gateway |\n|---|---|---|---|\n")
	// Both runs report every row, in the same order; a row missing from
	// one of them shows as "not run".
	viaBy := map[string][]matrixRow{}
	for _, r := range via {
		viaBy[r.File+"\x00"+r.Call] = append(viaBy[r.File+"\x00"+r.Call], r)
	}
	for _, r := range direct {
		cell := "not run"
		if vs := viaBy[r.File+"\x00"+r.Call]; len(vs) > 0 {
			cell = mark(vs[0])
			viaBy[r.File+"\x00"+r.Call] = vs[1:]
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Call, r.File, mark(r), cell)
	}
	b.WriteString("\nA client whose policy narrows its tokens to `Connector.botChat` on bot " + matrixBot +
		" (a channel app, so Coze\nenforces the scope), through the gateway:\n\n| call | expected | result |\n|---|---|---|\n")
	for _, c := range scoped {
		res := "fail"
		if c.ok {
			res = "pass"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.what, c.want, res)
	}
	return b.String()
}

// mark is a table cell for one row's outcome.
func mark(r matrixRow) string {
	switch {
	case r.Skipped:
		return "n/a"
	case r.OK != nil && *r.OK:
		return "pass"
	}
	return "FAIL"
}
