package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

// newEmulator runs the built-in Coze emulator on its own, for integration
// tests of your own code (and benchmarks) without a Coze account.
func newEmulator() *cobra.Command {
	var listen, pub, clientID, kid, region string
	cmd := &cobra.Command{
		Use:   "emulator --pub public_key.pem",
		Short: "Run the built-in Coze emulator (token endpoint and a slice of the API) for local testing",
		Long: `Run the built-in Coze emulator: Coze's OAuth token endpoint and a slice of its
OpenAPI, faithful to Coze's wire format and errors, on a loopback address.

Register one JWT app with --client-id, --kid and the public key (--pub) made
by "cozeauth keygen", then point cozeauth (or your own code) at it with
COZE_API_BASE=http://ADDR and AUDIENCE=api.coze.cn (or api.coze.com).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := os.ReadFile(pub)
			if err != nil {
				return fmt.Errorf("--pub: %w", err)
			}
			key, err := coze.ParsePublicKey(data)
			if err != nil {
				return fmt.Errorf("--pub %s: %w", pub, err)
			}
			reg, err := coze.ParseRegion(region)
			if err != nil {
				return fmt.Errorf("--region: %w", err)
			}
			emu := emulator.New(emulator.Options{Region: string(reg), Audience: reg.Audience()})
			emu.AddApp(clientID)
			emu.AddKey(clientID, kid, key)
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", listen, err)
			}
			srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				srv.Close()
			}()
			base := "http://" + ln.Addr().String()
			fmt.Fprintf(cmd.OutOrStdout(), "Coze emulator (%s, aud %s) listening on %s\napp %s, key id %s\nstats: %s/_emulator/stats\n",
				reg, reg.Audience(), base, clientID, kid, base)
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:8090", "address to listen on")
	fl.StringVar(&pub, "pub", "public_key.pem", "the app's public key (PEM), as uploaded to Coze")
	fl.StringVar(&clientID, "client-id", demoClientID, "the app id (应用ID) to register")
	fl.StringVar(&kid, "kid", demoKeyID, "the public key id (公钥指纹) to register")
	fl.StringVar(&region, "region", "cn", "region to emulate: cn or com (sets the expected aud)")
	return cmd
}
