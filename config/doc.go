// Package config turns environment variables, a console download
// (coze_oauth_config.json) and a YAML config file into one validated
// Config of plain typed values. Nothing here runs at request time.
//
// Every app has a kind — jwt (the default), pat, web, pkce or device — and
// the fields of its kind in one sub-struct of App (App.JWT, App.PAT, …);
// each kind's fields, validation and sub-struct live in app_<kind>.go.
// A console download of any client_type loads as the app of that kind.
//
// Every error names where the value came from (the file or
// "environment"), the field, what is wrong and the fix. Secrets — private
// keys, PATs, client secrets — never appear in an error or a warning, and
// the Secret type keeps them out of prints, logs and JSON.
package config
