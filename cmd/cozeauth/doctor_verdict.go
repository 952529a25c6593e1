package main

import (
	"strings"

	"github.com/cozeauth/cozeauth/doctor"
)

// tokenButFailed is doctor's last line when Coze gave a token but a check
// failed: only a failed configuration check means serve refuses to start;
// a --pub file that is not the key's pair concerns that file alone.
func tokenButFailed(rep *doctor.Report) string {
	var names []string
	onlyPub := true
	for _, c := range rep.Checks {
		if c.Status != doctor.Fail {
			continue
		}
		if c.ID == "config" {
			return "Coze gave a token, but fix the ✗ above: `cozeauth serve` refuses this configuration"
		}
		onlyPub = onlyPub && c.ID == "public_key"
		names = append(names, c.Name)
	}
	if onlyPub {
		return "Coze gave a token: `cozeauth serve` works with this configuration. The ✗ above is about the --pub file only: it is not the public half of the private key serve signs with (exit status 1)"
	}
	return "Coze gave a token and `cozeauth serve` accepts this configuration, but fix the ✗ above (" + strings.Join(names, ", ") + "; exit status 1)"
}
