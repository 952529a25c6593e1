// Package secfile checks that files holding secrets are private to their
// owner.
package secfile
