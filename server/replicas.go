package server

import "github.com/cozeauth/cozeauth/policy"

// Replicas is what the Server asks of a state shared by several replicas
// (package replica, over Redis). Without it (Options.Replicas nil)
// everything stays in this process.
type Replicas interface {
	// Revoked reports whether any replica, or `cozeauth keys revoke`,
	// revoked the client key of id (policy.Client.ID). It answers from
	// memory: the hot path never waits on the shared store.
	Revoked(id string) bool
	// Revoke records that a reload of this replica removed the clients
	// of ids, and tells every replica to refuse their keys and drop
	// their cached tokens.
	Revoke(ids []string)
	// Degraded reports whether the shared store is unreachable, so
	// this replica serves and mints on its own (/readyz shows it).
	Degraded() bool
}

// revoked reports whether cl's key was revoked through the shared state.
func (s *Server) revoked(cl *policy.Client) bool {
	return s.replicas != nil && s.replicas.Revoked(cl.ID())
}

// shareRevocations tells the other replicas about clients a reload
// removed.
func (s *Server) shareRevocations(ids []string) {
	if s.replicas != nil && len(ids) > 0 {
		s.replicas.Revoke(ids)
	}
}

// storeMode is the shared store's state for /readyz: "" without one.
func (s *Server) storeMode() string {
	switch {
	case s.replicas == nil:
		return ""
	case s.replicas.Degraded():
		return "degraded"
	}
	return "shared"
}
