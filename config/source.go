package config

import (
	"fmt"
	"slices"
	"strings"
)

// serverEnv are the variables of LoadEnv that are not an app's.
var serverEnv = []string{"COZEAUTH_LISTEN", "COZEAUTH_DEFAULT_SESSION", "COZEAUTH_GATEWAY_PREFIX", "COZEAUTH_ALLOWED_HOSTS",
	tlsEnvNames[0], tlsEnvNames[1], tlsEnvNames[2]}

// EnvNamesSet lists, sorted, the variables LoadEnv reads that are set
// (names only, never values).
func EnvNamesSet(getenv func(string) string) []string {
	var set []string
	for _, names := range envNames {
		for _, n := range names {
			if getenv(n) != "" {
				set = append(set, n)
			}
		}
	}
	for _, n := range serverEnv {
		if getenv(n) != "" {
			set = append(set, n)
		}
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// envIgnoredWarning says, when a config file won, which of the
// environment's configuration variables it made Load ignore.
func envIgnoredWarning(getenv func(string) string, path, why string) []string {
	set := EnvNamesSet(getenv)
	if len(set) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("configuration comes from the file %s (%s); the environment variables %s are set but ignored: a config file wins over the environment. Unset them, or move the file away to configure from the environment",
		path, why, strings.Join(set, ", "))}
}
