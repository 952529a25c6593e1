package credential

import (
	"errors"
	"fmt"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
)

// Deps are what Sources share: the Coze client and, for user-delegated
// apps, the grant store.
type Deps struct {
	Client *coze.Client
	Grants grant.Store // nil when no app needs one
}

// ErrNoStore means a web, PKCE or device app was configured without a
// grant store.
var ErrNoStore = errors.New("keeping users' refresh tokens needs the grant store: set data_dir (or --data-dir) and the store key (COZEAUTH_STORE_KEY or store_key_file)")

// New builds the Source of app a's kind.
func New(a *config.App, d Deps) (broker.Source, error) {
	switch a.Kind {
	case config.KindJWT, "":
		return &JWT{Client: d.Client, Signer: a.Signer(), TokenURL: a.TokenURL()}, nil
	case config.KindPAT:
		return &PAT{Token: a.PAT.Token.Reveal()}, nil
	case config.KindWeb, config.KindPKCE, config.KindDevice:
		if d.Grants == nil {
			return nil, fmt.Errorf("app %q (%s): %w", a.Name, a.Kind, ErrNoStore)
		}
		r := &Refresh{App: a.Name, Client: d.Client, TokenURL: a.TokenURL(), ClientID: a.ClientID, Grants: d.Grants}
		if a.Kind == config.KindWeb {
			r.ClientSecret = a.Web.ClientSecret.Reveal()
		}
		return r, nil
	}
	return nil, fmt.Errorf("app %q: unknown kind %q", a.Name, a.Kind)
}
