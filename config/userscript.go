package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// UserScript configures the user script cozeauth serves at
// GET /cozeauth.user.js.
type UserScript struct {
	// Match are the @match patterns of the Coze pages the script runs on;
	// DefaultUserScriptMatch when none are configured.
	Match []string
	// PublicURL is cozeauth's URL as the browser reaches it
	// (scheme://host[:port]); "" takes the URL the script was downloaded
	// from.
	PublicURL string
}

// DefaultUserScriptMatch are the Coze pages a user script runs on when
// user_script.match is not configured.
var DefaultUserScriptMatch = []string{"https://www.coze.cn/*", "https://www.coze.com/*"}

type rawUserScript struct {
	Match     []string `yaml:"match"`
	PublicURL string   `yaml:"public_url"`
}

// matchRE is a user script manager's match pattern: scheme://host/path,
// with no white space (each lands on a line of the metadata block, where
// a line break would add a directive of its own).
var matchRE = regexp.MustCompile(`^(\*|https?)://(\*|(\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?/[!-~]*$`)

func (c *Config) resolveUserScript(fc *fileConfig, e *errs) {
	us := fc.UserScript
	for i, m := range us.Match {
		if !matchRE.MatchString(m) {
			e.add(fmt.Sprintf("user_script.match[%d]", i), "write a match pattern such as https://www.coze.cn/* (scheme://host/path, no spaces)", "%q is not a match pattern", m)
			continue
		}
		c.UserScript.Match = append(c.UserScript.Match, m)
	}
	if us.PublicURL != "" {
		u, err := url.Parse(strings.TrimRight(us.PublicURL, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
			strings.ContainsAny(us.PublicURL, " \t\r\n") {
			e.add("user_script.public_url", "write cozeauth's URL as browsers reach it, e.g. https://auth.example.com", "%q is not scheme://host[:port]", us.PublicURL)
		} else {
			c.UserScript.PublicURL = u.Scheme + "://" + strings.ToLower(u.Host)
		}
	}
}
