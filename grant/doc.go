// Package grant keeps the grants of user-delegated Coze credentials (web
// OAuth, PKCE, device code): for one (app, subject), the refresh token, the
// scope, when it was made and last refreshed, and whether the user must log
// in again.
//
// # The Store
//
// [Store] is the one interface every grant store fills: [Memory] for tests
// of other packages, [FileStore] (the embedded default, one file under the
// data directory), and the Redis store of the replicas work. Writes that a
// refresher races (saving a rotated refresh token, marking a grant
// dead) are compare-and-swap on [Grant.Version], so exactly one writer wins
// and the others learn it with [ErrConflict]. Versions are never reused
// within a store, so a Swap prepared against a grant that was deleted and
// logged in again fails instead of overwriting the new login.
//
// # Why bbolt
//
// The embedded store is go.etcd.io/bbolt rather than SQLite through a
// pure-Go driver. What grants need is a key-value map with transactions
// (compare-and-swap, and a key rotation that re-seals every record at
// once), fsync on every commit, one file, an exclusive lock against a
// second process, no SQL and no CGO. bbolt is exactly that: a single file,
// serializable read-write transactions, fdatasync before a commit returns,
// a flock on open, and a small, well-kept code base (it is etcd's storage).
// A SQL engine would add a query language, a schema, a journal beside the
// file and far more code for nothing grants use.
//
// # Sealing
//
// Every grant record is sealed whole (refresh token, scope, user,
// timestamps, state, reason and version) with AES-256-GCM under the
// primary key of a [Keyring]. A sealed value carries its key id; its
// additional data binds it to its (app, subject), so a record copied to
// another subject, or another app, does not open. Keys come from
// COZEAUTH_STORE_KEY or a key file ([LoadKeyring]); [FileStore.RotateKey]
// re-seals every record under a new primary key in one transaction.
//
// # Refusals
//
// [OpenFile] refuses, and never modifies, a file it cannot trust: a file
// that is not a database ([ErrForeignFile]), a database that is not a
// cozeauth grant store ([ErrForeignFile]), a store sealed with other keys
// ([ErrWrongKey]), a truncated or damaged store ([ErrCorrupt]), and a store
// that another process holds open ([ErrLocked]). Error texts name the file
// and what to do; no error, log line or panic ever holds a refresh token
// or a key.
package grant
