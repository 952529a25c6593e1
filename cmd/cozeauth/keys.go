package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

func newKeys() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke client keys (only their hashes are stored)",
	}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "YAML config file whose keys_file to manage")
	var name, pol string
	create := &cobra.Command{
		Use:   "create --name NAME --policy POLICY",
		Short: "Make a new client key and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := keysConfig(cfgPath)
			if err != nil {
				return err
			}
			p, ok := cfg.Access.Policy(pol)
			if !ok {
				return fmt.Errorf("--policy %q: no such policy in %s", pol, cfg.Source)
			}
			if p.Public {
				return fmt.Errorf("--policy %q is public: public policies take no keys", pol)
			}
			if !validName(name) {
				return fmt.Errorf("--name %q: use letters, digits, '.', '_' or '-', at most 64", name)
			}
			for _, c := range cfg.Access.Clients {
				if c.Name == name {
					return fmt.Errorf("--name %q: a client of that name exists; revoke it first or pick another name", name)
				}
			}
			key, hash, err := policy.NewKey()
			if err != nil {
				return err
			}
			added := config.ClientEntry{Name: name, Policy: pol, KeyHash: hash, Created: time.Now().UTC().Truncate(time.Second)}
			err = config.EditKeysFile(cfg.Access.KeysFile, func(cur []config.ClientEntry) ([]config.ClientEntry, error) {
				for _, c := range cur { // another `keys create` may have won the name meanwhile
					if c.Name == name {
						return nil, fmt.Errorf("--name %q: a client of that name exists; revoke it first or pick another name", name)
					}
				}
				return append(cur, added), nil
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, key)
			cl := policy.Client{Name: name, Hash: hash}
			fmt.Fprintf(cmd.ErrOrStderr(), "\n%s added client %q (policy %q, id %s) to %s.\nThe key above is shown once and not stored: give it to the client now.\nCallers send it as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\".\nA running server picks it up within seconds (its audit log records the reload with clients_added).\n", whoAmI(), name, pol, cl.ID(), cfg.Access.KeysFile)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "client name (shown in logs and the audit log)")
	create.Flags().StringVar(&pol, "policy", "", "policy the client's requests are held to")
	create.MarkFlagRequired("name")
	create.MarkFlagRequired("policy")

	list := &cobra.Command{
		Use:   "list",
		Short: "List clients: name, policy, created, last used (never the key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := keysConfig(cfgPath)
			if err != nil {
				return err
			}
			used := readLastUsed(cfg.Access.KeysFile)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPOLICY\tCREATED\tLAST USED")
			for _, c := range cfg.Access.Clients {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Policy, dateOrDash(c.Created), dateOrDash(used[c.Name]))
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Remove a client's key from the keys file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := keysConfig(cfgPath)
			if err != nil {
				return err
			}
			var gone []config.ClientEntry
			err = config.EditKeysFile(cfg.Access.KeysFile, func(cur []config.ClientEntry) ([]config.ClientEntry, error) {
				gone = nil
				kept := slices.DeleteFunc(cur, func(e config.ClientEntry) bool {
					if e.Name == args[0] {
						gone = append(gone, e)
						return true
					}
					return false
				})
				if len(gone) == 0 {
					return nil, fmt.Errorf("no client %q in %s (clients in the config file itself are removed by editing it)", args[0], cfg.Access.KeysFile)
				}
				return kept, nil
			})
			if err != nil {
				return err
			}
			var ids []string
			for _, e := range gone {
				cl := policy.Client{Name: e.Name, Hash: e.KeyHash}
				ids = append(ids, cl.ID())
				fmt.Fprintf(cmd.ErrOrStderr(), "%s revoked client %q (policy %q, id %s) in %s\n", whoAmI(), e.Name, e.Policy, cl.ID(), cfg.Access.KeysFile)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if shared, err := revokeShared(ctx, cfg, ids); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the shared store did not record the revocation (%v); replicas still drop the key when they reload the keys file\n", err)
			} else if shared {
				fmt.Fprintln(cmd.ErrOrStderr(), "every replica sharing the store refuses the key within a second")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %q; a running server stops accepting its key within seconds and drops its cached tokens (its audit log records the reload with clients_removed)\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// whoAmI names the person changing the keys file, for the record on
// stderr: user@host.
func whoAmI() string {
	name := "someone"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	return name
}

func keysConfig(path string) (*config.Config, error) {
	if path == "" {
		path = os.Getenv("COZEAUTH_CONFIG")
	}
	if path == "" {
		path = "cozeauth.yaml"
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		return nil, err
	}
	if cfg.Access.KeysFile == "" {
		return nil, fmt.Errorf("%s has no keys_file: add e.g. `keys_file: keys.yaml` so client keys have somewhere to live", path)
	}
	return cfg, nil
}

func dateOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && (r == '.' || r == '_' || r == '-'))
		if !ok {
			return false
		}
	}
	return true
}
