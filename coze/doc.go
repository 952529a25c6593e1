// Package coze speaks Coze's (扣子) OAuth wire protocol: regions, private
// keys, JWT assertions, token grants and Coze's typed errors. It holds no
// cache and serves nothing; see package broker for reuse of tokens.
package coze
