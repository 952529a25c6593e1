package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/emulator"
)

// TestLoginWorkspace: an app with a workspace_id sends the browser to the
// workspace variant of Coze's consent page, and the grant Coze makes is
// for that workspace; without one, the account-wide page.
func TestLoginWorkspace(t *testing.T) {
	const ws = "7400000000000000042"
	for _, app := range []string{"web", "pkce"} {
		t.Run(app, func(t *testing.T) {
			lf := loginFixtureEdit(t, nil, func(a *config.App) {
				switch {
				case a.Web != nil:
					a.Web.WorkspaceID = ws
				case a.PKCE != nil:
					a.PKCE.WorkspaceID = ws
				}
			})
			_, link := lf.connect(t, "", app, "carol", "")
			b := newBrowser(t, func(u *url.URL) bool { return strings.Contains(u.Path, "/authorize") })
			b.get(t, link)
			if b.last == nil || b.last.Path != "/api/permission/oauth2/workspace_id/"+ws+"/authorize" {
				t.Fatalf("sent to %v, want the workspace consent page", b.last)
			}
			b = newBrowser(t, nil)
			_, link = lf.connect(t, "", app, "carol", "")
			if status, page, _ := b.get(t, link); status != 200 || !strings.Contains(page, `data-result="connected"`) {
				t.Fatalf("login: %d %s", status, page)
			}
			g, ok := lf.emu.LastGrant()
			if !ok || g.GrantType != emulator.GrantAuthorizationCode || g.WorkspaceID != ws {
				t.Fatalf("Coze made grant %+v, want a code grant for workspace %s", g, ws)
			}
		})
	}
}
