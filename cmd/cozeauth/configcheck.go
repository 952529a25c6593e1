package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/doctor"
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
	switch {
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			u.note(doctor.Fail, p.Error())
		}
	case err != nil:
		u.note(doctor.Fail, err.Error())
	}
	if cfg != nil {
		for _, w := range doctor.PermissionWarnings(cfg) {
			u.note(doctor.Warn, w)
		}
		if err == nil {
			u.note(doctor.OK, cfg.Source+": the configuration is valid")
		}
		fmt.Fprintln(u.out)
		summarize(u.out, cfg)
	}
	if err != nil {
		if ce != nil {
			n := fmt.Sprintf("%d problems", len(ce.Problems))
			if len(ce.Problems) == 1 {
				n = "1 problem"
			}
			u.note(doctor.Fail, n+": each line above names the file, the field and the fix")
		}
		return errReported
	}
	return nil
}
