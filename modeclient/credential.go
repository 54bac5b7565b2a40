package modeclient

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
)

// Credential is a Mode API token and secret, sent as HTTP Basic auth.
//
// Every way of printing it (String, GoString, any fmt verb, JSON, slog)
// redacts both fields; use Fingerprint to tell credentials apart in logs and
// cache keys.
type Credential struct {
	Token  string
	Secret string
}

// fingerprintKey is drawn once per process: fingerprints are stable within a
// process and meaningless outside it.
var fingerprintKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("modeclient: reading random fingerprint key: " + err.Error())
	}
	return k
}()

// Fingerprint returns a keyed hash (HMAC-SHA256 under a per-process random
// key, hex, truncated to 128 bits) of the token and secret. It identifies a
// credential within this process without revealing it.
func (c Credential) Fingerprint() string {
	m := hmac.New(sha256.New, fingerprintKey)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(c.Token)))
	m.Write(n[:]) // length prefix: ("ab","c") and ("a","bc") differ
	io.WriteString(m, c.Token)
	io.WriteString(m, c.Secret)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

const redactedCredential = "modeclient.Credential{REDACTED}"

// String implements fmt.Stringer without revealing the credential.
func (c Credential) String() string { return redactedCredential }

// GoString implements fmt.GoStringer without revealing the credential.
func (c Credential) GoString() string { return redactedCredential }

// Format implements fmt.Formatter so that no verb (%d, %x, %+v …) prints the fields.
func (c Credential) Format(f fmt.State, _ rune) { io.WriteString(f, redactedCredential) }

// LogValue implements slog.LogValuer: only the fingerprint is logged.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("fingerprint", c.Fingerprint()))
}

// MarshalJSON implements json.Marshaler without revealing the credential.
func (c Credential) MarshalJSON() ([]byte, error) { return []byte(`"REDACTED"`), nil }

// MarshalText implements encoding.TextMarshaler without revealing the credential.
func (c Credential) MarshalText() ([]byte, error) { return []byte("REDACTED"), nil }

// valid reports whether both parts are present.
func (c Credential) valid() bool { return c.Token != "" && c.Secret != "" }
