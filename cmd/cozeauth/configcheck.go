package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/doctor"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/replica"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate the configuration offline and show what was understood (never the secrets)",
		Long: `Validate the configuration offline: every problem with its file, field and
fix, one per line; then a summary of what was understood (apps, regions, API
bases, ids, key sizes and SHA-256 fingerprints), never the secrets. Without
FILE it checks what serve would load: $COZEAUTH_CONFIG, ./cozeauth.yaml, then
the environment. Exit status 1 when there are problems.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				cfg *config.Config
				err error
			)
			if len(args) == 1 {
				cfg, err = config.LoadFile(args[0])
			} else {
				cfg, err = config.Load(config.Options{})
			}
			return reportConfig(newUI(cmd), cfg, err)
		},
	})
	return cmd
}

func reportConfig(u *ui, cfg *config.Config, err error) error {
	var ce *config.Error
	problems := 0
	switch {
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			u.note(doctor.Fail, p.Error())
		}
		problems = len(ce.Problems)
	case err != nil:
		u.note(doctor.Fail, err.Error())
	}
	if cfg != nil {
		store, warning := storeProblems(cfg, os.Getenv)
		for _, p := range store {
			u.note(doctor.Fail, cfg.Source+": "+p)
		}
		problems += len(store)
		if warning != "" {
			u.note(doctor.Warn, warning)
		}
		for _, w := range doctor.PermissionWarnings(cfg) {
			u.note(doctor.Warn, w)
		}
		if err == nil && len(store) == 0 {
			u.note(doctor.OK, cfg.Source+": the configuration is valid")
		}
		fmt.Fprintln(u.out)
		summarize(u.out, cfg)
	}
	if err == nil && problems == 0 {
		return nil
	}
	if problems > 0 {
		n := fmt.Sprintf("%d problems", problems)
		if problems == 1 {
			n = "1 problem"
		}
		u.note(doctor.Fail, n+": each line above names the file, the field and the fix")
	}
	return errReported
}

// storeProblems checks what serve checks of a shared store (`store:` or
// $COZEAUTH_STORE) before it connects: the URL's form, and the store key
// the replicas seal what they share with. It never connects.
func storeProblems(cfg *config.Config, getenv func(string) string) (problems []string, warning string) {
	if cfg.Store == "" {
		return nil, ""
	}
	if _, _, err := replica.ParseURL(cfg.Store); err != nil {
		problems = append(problems, "store: "+err.Error())
	}
	_, warning, err := grant.LoadKeyring(getenv, cfg.StoreKeyFile)
	if err != nil {
		problems = append(problems, "store_key_file: replicas seal what they share with the store key, the same on every replica: "+err.Error())
	}
	return problems, warning
}
