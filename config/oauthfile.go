package config

import (
	"os"

	"github.com/cozeauth/cozeauth/coze"
)

// mergeOAuthConfig fills r's unset fields from a console-downloaded
// coze_oauth_config.json; fields set explicitly win.
func (r *rawApp) mergeOAuthConfig(e *errs) {
	path := r.path(r.OAuthConfigFile)
	field := r.field("oauth_config_file")
	data, err := os.ReadFile(path)
	if err != nil {
		e.add(field, "download coze_oauth_config.json from the app's page in the Coze console", "cannot read %s: %v", path, err)
		return
	}
	oc, err := coze.ParseOAuthConfig(data)
	if err != nil {
		e.add(field, "this must be the file the Coze console downloads for an OAuth app", "%s: %v", path, err)
		return
	}
	if oc.ClientType != "jwt" {
		e.add(field+".client_type", "this version serves JWT apps (服务类应用); create one in the Coze console", "%s has client_type %q", path, oc.ClientType)
	}
	set := func(dst *string, v, yamlName, jsonName string) {
		if *dst == "" && v != "" {
			*dst = v
			if r.names == nil {
				r.names = map[string]string{}
			}
			r.names[yamlName] = path + ": " + jsonName
		}
	}
	if r.Kind == "" {
		r.Kind = oc.ClientType
	}
	set(&r.ClientID, oc.ClientID, "client_id", "client_id")
	if r.PrivateKeyFile == "" {
		set(&r.PrivateKey, oc.PrivateKey, "private_key", "private_key")
	}
	set(&r.KeyID, oc.PublicKeyID, "key_id", "public_key_id")
	set(&r.APIBase, oc.APIBase, "api_base", "coze_api_base")
	set(&r.WWWBase, oc.WWWBase, "www_base", "coze_www_base")
}
