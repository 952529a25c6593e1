package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/doctor"
	"github.com/cozeauth/cozeauth/internal/version"
)

type doctorFlags struct {
	config, app, pub string
	json             bool
	bases            map[string]string
}

func newDoctor() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find out why Coze refuses: check config, key, ids, clock, network and a real exchange",
		Long: `Check, in order: the configuration; the private key (RSA, size); with --pub,
that the public key matches it; the app id (应用ID) and key id (公钥指纹); that
Coze's API host is reachable (DNS, TLS, time taken); the local clock against
Coze's; and a real token exchange. Each failure comes with its likely cause
and the fix, and Coze's log id. When Coze answers "kid not been registred",
doctor tries the other region and says which one the app is on.

Exit status 0 only when a token was obtained and no check failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "YAML config file (default: $COZEAUTH_CONFIG, ./cozeauth.yaml, then the environment)")
	fl.StringVar(&f.app, "app", "", "app to check (default: the default app)")
	fl.StringVar(&f.pub, "pub", "", "the public key PEM you uploaded, to check it matches the private key")
	fl.BoolVar(&f.json, "json", false, "print the checks as JSON")
	fl.StringToStringVar(&f.bases, "region-base", nil, "API base per region for the other-region try, e.g. cn=http://127.0.0.1:9000 (for emulators)")
	_ = fl.MarkHidden("region-base")
	return cmd
}

func runDoctor(cmd *cobra.Command, f doctorFlags) error {
	u := newUI(cmd)
	o := doctor.Options{
		Config:    config.Options{File: f.config},
		App:       f.app,
		PubFile:   f.pub,
		Bases:     map[coze.Region]string{},
		UserAgent: "cozeauth-doctor/" + version.Get().Short(),
	}
	for k, v := range f.bases {
		reg, err := coze.ParseRegion(k)
		if err != nil {
			return fmt.Errorf("--region-base: %w", err)
		}
		o.Bases[reg] = v
	}
	o.OnStart = u.start // a spinner on stderr, when it is a terminal
	o.OnCheck = u.check
	if f.json {
		o.OnCheck = func(doctor.Check) { u.stop() }
	}
	rep := doctor.Run(cmd.Context(), o)
	u.stop()
	if f.json {
		enc := json.NewEncoder(u.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(u.out)
		switch {
		case rep.OK:
			u.note(doctor.OK, "Coze gave a token: `cozeauth token` and `cozeauth serve` will work")
		case rep.NotChecked && !failed(rep):
			u.note(doctor.Warn, fmt.Sprintf("the configuration is sound; a %s app gets tokens only once a user has logged in, so doctor asked for none (exit status 1)", rep.Kind))
		case rep.TokenObtained:
			u.note(doctor.Fail, tokenButFailed(rep))
		default:
			u.note(doctor.Fail, "no token: fix the first ✗ above, then run `cozeauth doctor"+appFlag(f.config, f.app)+"` again")
		}
	}
	if !rep.OK {
		return errReported
	}
	return nil
}

// failed reports whether any check of rep failed.
func failed(rep *doctor.Report) bool {
	for _, c := range rep.Checks {
		if c.Status == doctor.Fail {
			return true
		}
	}
	return false
}
