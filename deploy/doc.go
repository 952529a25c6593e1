// Package deploy holds no code: its tests check the files beside them, the
// Dockerfile (its build line makes a static binary; it runs as a non-root
// user with a HEALTHCHECK) and the systemd unit (systemd-analyze verify
// accepts it, with its hardening in place).
package deploy
