// Package header is the repeatable -header Key:Value flag of the
// benchmark tools.
package header
