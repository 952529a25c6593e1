package main

import (
	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// newBroker builds the broker with one JWT source per configured app.
func newBroker(cfg *config.Config, client *coze.Client) *broker.Broker {
	sources := make(map[string]broker.Source, len(cfg.Apps))
	rates := map[string]broker.Rate{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		sources[a.Name] = &broker.JWTSource{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}
		if !a.MintRate.Unlimited() {
			rates[a.Name] = broker.Rate{PerSecond: a.MintRate.PerSecond, Burst: a.MintRate.Burst}
		}
	}
	return broker.New(sources, broker.Options{MaxEntries: cfg.Cache.MaxEntries, Skew: cfg.Cache.Skew, MintRate: rates})
}

func newClient() *coze.Client {
	return &coze.Client{UserAgent: "cozeauth/" + version}
}
