package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/cozeauth/cozeauth/internal/atomicfile"
)

// KeysDoc is the file `cozeauth keys` manages: client names, policies
// and key hashes, never keys.
type KeysDoc struct {
	Clients []ClientEntry `yaml:"clients"`
}

// keysHeader opens every keys file cozeauth writes.
const keysHeader = "# cozeauth client keys: hashes only, managed by `cozeauth keys`.\n"

// ReadKeysFile reads a keys file whole (see ReadStable); a missing file
// holds no clients.
func ReadKeysFile(path string) ([]ClientEntry, error) {
	data, err := ReadStable(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kf KeysDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&kf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", path, redactErr(err))
	}
	return kf.Clients, nil
}

// WriteKeysFile replaces the keys file with clients, under the keys
// file's lock (see EditKeysFile).
func WriteKeysFile(path string, clients []ClientEntry) error {
	return EditKeysFile(path, func([]ClientEntry) ([]ClientEntry, error) { return clients, nil })
}

// EditKeysFile changes the keys file as one step that no other editor can
// interleave with: it takes the advisory lock on path+".lock" (waiting
// while another `cozeauth keys` holds it), reads the current clients,
// calls edit with them, replaces the file atomically (readable by its
// owner only) and reads it back. It returns nil only when the file read
// back holds exactly what edit returned, so a change that was lost is
// never reported as made. An error from edit changes nothing.
func EditKeysFile(path string, edit func([]ClientEntry) ([]ClientEntry, error)) error {
	unlock, err := atomicfile.Lock(path)
	if err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	defer unlock()
	cur, err := ReadKeysFile(path)
	if err != nil {
		return err
	}
	next, err := edit(slices.Clone(cur))
	if err != nil {
		return err
	}
	data, err := yaml.Marshal(KeysDoc{Clients: next})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append([]byte(keysHeader), data...), 0o600); err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	back, err := ReadKeysFile(path)
	if err != nil {
		return fmt.Errorf("keys file: reading it back after writing: %w", err)
	}
	if !slices.EqualFunc(back, next, sameEntry) {
		return fmt.Errorf("keys file %s: another program changed it while cozeauth wrote it, so this change may be lost: check with `cozeauth keys list` and retry", path)
	}
	return nil
}

func sameEntry(a, b ClientEntry) bool {
	return a.Name == b.Name && a.Policy == b.Policy && a.KeyHash == b.KeyHash && a.Created.Equal(b.Created)
}
