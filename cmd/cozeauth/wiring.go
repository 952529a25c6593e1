package main

import (
	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// jwtSources builds an app's JWT Source over client; the server calls it
// again on reload for apps whose credentials or endpoints changed.
func jwtSources(client *coze.Client) func(*config.App) broker.Source {
	return func(a *config.App) broker.Source {
		return &broker.JWTSource{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}
	}
}

// newBroker builds the broker with one Source per configured app.
func newBroker(cfg *config.Config, newSource func(*config.App) broker.Source) *broker.Broker {
	sources := make(map[string]broker.Source, len(cfg.Apps))
	rates := map[string]ratelimit.Rate{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		sources[a.Name] = newSource(a)
		if !a.MintRate.Unlimited() {
			rates[a.Name] = a.MintRate
		}
	}
	return broker.New(sources, broker.Options{MaxEntries: cfg.Cache.MaxEntries, MaxBytes: cfg.Cache.MaxBytes, Skew: cfg.Cache.Skew, MintRate: rates})
}

func newClient() *coze.Client {
	return &coze.Client{UserAgent: "cozeauth/" + version}
}
