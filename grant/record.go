package grant

import (
	"encoding/json"
	"fmt"
	"time"
)

// record is the sealed form of a grant; App and Subject are its key and
// its additional data, not part of it.
type record struct {
	RefreshToken string          `json:"rt,omitempty"`
	Scope        json.RawMessage `json:"scope,omitempty"`
	User         string          `json:"user,omitempty"`
	CreatedAt    time.Time       `json:"created"`
	RefreshedAt  time.Time       `json:"refreshed"`
	State        State           `json:"state"`
	Reason       string          `json:"reason,omitempty"`
	Version      uint64          `json:"v"`
}

// sealGrant seals g (whose Version is already set) for its (app, subject).
func sealGrant(kr *Keyring, g *Grant) ([]byte, error) {
	pt, err := json.Marshal(record{
		RefreshToken: g.RefreshToken, Scope: g.Scope, User: g.User,
		CreatedAt: g.CreatedAt, RefreshedAt: g.RefreshedAt, State: g.State,
		Reason: g.Reason, Version: g.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: grant for app %q subject %q cannot be encoded", ErrInvalid, g.App, g.Subject)
	}
	return kr.seal(pt, binding(purposeGrant, g.App, g.Subject)), nil
}

// openGrant unseals the record stored for (app, subject).
func openGrant(kr *Keyring, app, subject string, sealed []byte) (*Grant, error) {
	pt, err := kr.unseal(sealed, binding(purposeGrant, app, subject))
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(pt, &r); err != nil {
		return nil, fmt.Errorf("record does not decode")
	}
	if r.State != Active && r.State != NeedsLogin {
		return nil, fmt.Errorf("record has an unknown state")
	}
	return &Grant{
		App: app, Subject: subject, RefreshToken: r.RefreshToken, Scope: r.Scope,
		User: r.User, CreatedAt: r.CreatedAt, RefreshedAt: r.RefreshedAt,
		State: r.State, Reason: r.Reason, Version: r.Version,
	}, nil
}
