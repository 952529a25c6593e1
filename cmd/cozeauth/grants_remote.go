package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/server"
)

// grantBook is where grants commands read and revoke: the store file
// (serve stopped) or a running server's admin route.
type grantBook interface {
	List(ctx context.Context, app string) ([]grant.Meta, error)
	Delete(ctx context.Context, app, subject string) error
	Where() string
	Close() error
}

type fileBook struct{ *grant.FileStore }

func (b fileBook) Where() string { return b.Path() }

// serverBook asks a running server (GET and DELETE /admin/grants), as a
// caller on its machine or with an admin client's key from
// $COZEAUTH_ADMIN_KEY.
type serverBook struct {
	base string
	hc   *http.Client
}

func (b *serverBook) Where() string { return b.base }
func (b *serverBook) Close() error  { return nil }

func (b *serverBook) do(ctx context.Context, method string, q url.Values) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(b.base, "/")+server.AdminGrantsPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("--server %q: %w", b.base, err)
	}
	if k := os.Getenv("COZEAUTH_ADMIN_KEY"); k != "" {
		req.Header.Set("X-API-Key", k)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("asking %s: %w", b.base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Msg string `json:"msg"`
		}
		_ = json.Unmarshal(data, &e)
		return nil, resp.StatusCode, fmt.Errorf("%s answered %d: %s", b.base, resp.StatusCode, e.Msg)
	}
	return data, resp.StatusCode, nil
}

func (b *serverBook) List(ctx context.Context, app string) ([]grant.Meta, error) {
	data, _, err := b.do(ctx, http.MethodGet, url.Values{"app": {app}})
	if err != nil {
		return nil, err
	}
	var out struct {
		Grants []grant.Meta `json:"grants"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s answered something else than a grant list", b.base)
	}
	return out.Grants, nil
}

func (b *serverBook) Delete(ctx context.Context, app, subject string) error {
	_, status, err := b.do(ctx, http.MethodDelete, url.Values{"app": {app}, "subject": {subject}})
	if status == http.StatusNotFound {
		return grant.ErrNotFound
	}
	return err
}

// openBook opens the store file, or the running server at serverURL.
func openBook(cmd interface{ ErrOrStderr() io.Writer }, sf *storeFlags, serverURL string) (grantBook, error) {
	if serverURL != "" {
		return &serverBook{base: serverURL, hc: &http.Client{Timeout: 15 * time.Second}}, nil
	}
	s, err := sf.openWith(cmd)
	if err != nil {
		if errors.Is(err, grant.ErrLocked) {
			return nil, fmt.Errorf("%w (or ask the running server: --server http://127.0.0.1:8080)", err)
		}
		return nil, err
	}
	return fileBook{s}, nil
}
