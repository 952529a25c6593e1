package main

import (
	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// jwtSources builds a JWT app's Source over client; the server calls it
// again on reload for apps whose credentials or endpoints changed. Apps
// of other kinds get no Source yet (nil): the broker answers that it
// does not know them.
func jwtSources(client *coze.Client) func(*config.App) broker.Source {
	return func(a *config.App) broker.Source {
		if a.JWT == nil {
			return nil
		}
		return &broker.JWTSource{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}
	}
}

// newBroker builds the broker with one Source per configured app.
func newBroker(cfg *config.Config, newSource func(*config.App) broker.Source) *broker.Broker {
	sources := make(map[string]broker.Source, len(cfg.Apps))
	rates := map[string]ratelimit.Rate{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		if src := newSource(a); src != nil {
			sources[a.Name] = src
		}
		if !a.MintRate.Unlimited() {
			rates[a.Name] = a.MintRate
		}
	}
	return broker.New(sources, broker.Options{MaxEntries: cfg.Cache.MaxEntries, MaxBytes: cfg.Cache.MaxBytes, Skew: cfg.Cache.Skew, MintRate: rates})
}

func newClient() *coze.Client {
	return &coze.Client{UserAgent: "cozeauth/" + version}
}
