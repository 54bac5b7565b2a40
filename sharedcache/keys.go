package sharedcache

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// DefaultNamespace prefixes every key and channel when Options.Namespace is empty.
const DefaultNamespace = "modeplatform"

// keyspace names the keys and channels of one namespace. Every name starts with "{ns}:", a
// Redis Cluster hash tag, so the scripts' keys share one slot.
//
//	{ns}:seq                       last invalidation's sequence number
//	{ns}:t:<tag>                   tag marker (see scripts.go)
//	{ns}:e:<credential>:<hash>     entry: hash of s (sequence), t (tags), b (body)
//	{ns}:l:<credential>:<hash>     lock of a fetch in progress (value: its token)
//	{ns}:r:<credential>:<hash>:<token>  a fetch's uncacheable result, for its waiters
//	{ns}:rl:<key>                  rate limiter state
//	{ns}:q:<hash>                  request record: hash of f (fingerprint), t (owner token), o (outcome)
//	{ns}:ql:<hash>                 lease of a request record's owner (value: its token)
//	{ns}:qe                        epoch of the request records (requestreplay.go)
//	{ns}:qg                        grace period after Redis lost the request records
//	{ns}:inval, {ns}:fill, {ns}:ack:<replica>   channels
type keyspace struct{ prefix string }

func newKeyspace(ns string) (keyspace, error) {
	if ns == "" {
		ns = DefaultNamespace
	}
	if strings.ContainsAny(ns, "{}\n\r\t ") {
		return keyspace{}, errors.New("sharedcache: namespace must not contain braces or white space")
	}
	return keyspace{prefix: "{" + ns + "}:"}, nil
}

func (k keyspace) seq() string                  { return k.prefix + "seq" }
func (k keyspace) tagPrefix() string            { return k.prefix + "t:" }
func (k keyspace) entry(id string) string       { return k.prefix + "e:" + id }
func (k keyspace) lock(id string) string        { return k.prefix + "l:" + id }
func (k keyspace) result(id, tok string) string { return k.prefix + "r:" + id + ":" + tok }
func (k keyspace) limiter(key string) string    { return k.prefix + "rl:" + key }
func (k keyspace) record(id string) string      { return k.prefix + "q:" + id }
func (k keyspace) lease(id string) string       { return k.prefix + "ql:" + id }
func (k keyspace) epoch() string                { return k.prefix + "qe" }
func (k keyspace) grace() string                { return k.prefix + "qg" }
func (k keyspace) invalChannel() string         { return k.prefix + "inval" }
func (k keyspace) fillChannel() string          { return k.prefix + "fill" }
func (k keyspace) ackChannel(replica string) string {
	return k.prefix + "ack:" + replica
}

// entryID is the shared name of a cache key: the credential's shared ID, then a hash of the
// method, path and query (length-prefixed, so no two requests share an encoding). The
// credential stays readable in the key so that one credential's entries can be found and
// dropped; the request is hashed to bound the key's length.
func entryID(credential string, k cache.Key) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, s := range [...]string{k.Method, k.Path, k.Query} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		io.WriteString(h, s)
	}
	return credential + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// credentialIDKey keys CredentialID's HMAC. It is not a secret: the ID is as hard to reverse as
// the API secret inside it is to guess. It only separates these IDs from any other hash of the
// same credential.
var credentialIDKey = []byte("modeplatform/sharedcache credential id v1")

// CredentialID returns the name under which every replica stores the entries of one Mode
// credential: a keyed hash (HMAC-SHA256, hex, 128 bits) of the token and secret, the same in
// every process. It stands in for modeclient's fingerprint, which is keyed per process and so
// differs between replicas. Credentials never appear in Redis, only this ID.
func CredentialID(token, secret string) string {
	m := hmac.New(sha256.New, credentialIDKey)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(token)))
	m.Write(n[:]) // ("ab","c") and ("a","bc") differ
	io.WriteString(m, token)
	io.WriteString(m, secret)
	return hex.EncodeToString(m.Sum(nil)[:16])
}
