package config

import "github.com/cozeauth/cozeauth/coze"

// mergeOAuthConfig fills r's unset fields from a console-downloaded
// coze_oauth_config.json of any client_type (jwt, web, pkce, device);
// fields set explicitly win. Its client_type is the app's kind when kind
// is unset, and must agree with it when set.
func (r *rawApp) mergeOAuthConfig(e *errs) {
	path := r.path(r.OAuthConfigFile)
	field := r.field("oauth_config_file")
	data, err := readSecretFile(path)
	if err != nil {
		e.add(field, "download coze_oauth_config.json from the app's page in the Coze console", "cannot read %s: %v", path, err)
		return
	}
	oc, err := coze.ParseOAuthConfig(data)
	if err != nil {
		e.add(field, "this must be the file the Coze console downloads for an OAuth app", "%s: %v", path, redactErr(err))
		return
	}
	kind, err := ParseKind(oc.ClientType)
	if err != nil || kind == KindPAT {
		e.add(field+".client_type", "the console downloads client_type jwt, web, pkce or device; download the file again from the app's page",
			"%s has client_type %q", path, oc.ClientType)
		return
	}
	if r.Kind == "" {
		r.Kind = string(kind)
	} else if k, err := ParseKind(r.Kind); err == nil && k != kind {
		e.add(r.field("kind"), "the console download describes the app: make kind agree with its client_type, or remove kind",
			"kind %s, but %s has client_type %s", k, path, kind)
		return
	}
	r.download = oc
	set := func(dst *string, v, yamlName, jsonName string) {
		if *dst == "" && v != "" {
			*dst = v
			r.setName(yamlName, path+": "+jsonName)
		}
	}
	set(&r.ClientID, oc.ClientID, "client_id", "client_id")
	set(&r.APIBase, oc.APIBase, "api_base", "coze_api_base")
	set(&r.WWWBase, oc.WWWBase, "www_base", "coze_www_base")
	switch kind {
	case KindJWT:
		if r.PrivateKeyFile == "" {
			set(&r.PrivateKey, oc.PrivateKey, "private_key", "private_key")
		}
		set(&r.KeyID, oc.PublicKeyID, "key_id", "public_key_id")
	case KindWeb:
		if r.ClientSecretFile == "" {
			set(&r.ClientSecret, oc.ClientSecret, "client_secret", "client_secret")
		}
	}
	// redirect_uris: see resolveRedirectURI.
}
