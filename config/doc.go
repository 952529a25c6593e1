// Package config turns environment variables, a coze_oauth_config.json and
// a YAML config file into one validated Config of plain typed values.
// Every error names where the value came from, the field, and the fix.
package config
