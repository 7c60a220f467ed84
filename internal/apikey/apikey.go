// Package apikey makes and recognises mlserve API keys. A key is a bearer
// secret shown to its owner once, by `mlserve keygen`; the server keeps only
// its SHA-256 in the auth.keys configuration, as an entry
// "name:sha256hex:scope+scope". This package owns that entry format: the
// config loader parses entries with ParseEntry, and the API hashes incoming
// bearer tokens with Sum.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Prefix starts every generated key, so a leaked key is recognisable by
// secret scanners and never mistaken for a hash.
const Prefix = "mls_"

// The scopes a key may carry.
const (
	ScopePredict = "predict" // predict and read models
	ScopeRead    = "read"    // every GET
	ScopeAdmin   = "admin"   // everything
)

// Scopes lists every known scope, in a stable order.
func Scopes() []string { return []string{ScopePredict, ScopeRead, ScopeAdmin} }

// Generate returns a new key — Prefix followed by 32 random bytes in
// unpadded base64url — and the lowercase hex SHA-256 of the whole key, which
// is what the configuration stores.
func Generate() (key, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("read random bytes: %w", err)
	}
	key = Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := Sum(key)
	return key, hex.EncodeToString(sum[:]), nil
}

// Sum is the SHA-256 of the whole key string, prefix included. The API hashes
// every presented bearer token with it and compares the result, in constant
// time, with the configured hashes.
func Sum(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// Entry formats the auth.keys configuration entry "name:hash:scope+scope".
// It checks its arguments as ParseEntry would, so a printed entry always loads.
func Entry(name, hash string, scopes ...string) (string, error) {
	s := name + ":" + hash + ":" + strings.Join(scopes, "+")
	if _, _, _, err := ParseEntry(s); err != nil {
		return "", err
	}
	return s, nil
}

// ParseEntry splits an auth.keys entry "name:sha256hex:scope[+scope...]".
// A name is 1-64 ASCII letters, digits, '.', '_' or '-' (it is logged); the
// hash is 64 hex digits; scopes are known and not repeated. Errors never quote
// the hash.
func ParseEntry(s string) (name string, hash [32]byte, scopes []string, err error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return "", hash, nil, fmt.Errorf("want name:sha256hex:scope[+scope...], got %d colon-separated parts", len(parts))
	}
	name, hexHash, scopeList := parts[0], parts[1], parts[2]
	if err := validName(name); err != nil {
		return "", hash, nil, err
	}
	if len(hexHash) != 2*len(hash) {
		return "", hash, nil, fmt.Errorf("key %q: hash must be 64 hex digits (the SHA-256 printed by mlserve keygen), not %d characters", name, len(hexHash))
	}
	if _, err := hex.Decode(hash[:], []byte(hexHash)); err != nil {
		return "", hash, nil, fmt.Errorf("key %q: hash must be 64 hex digits (the SHA-256 printed by mlserve keygen)", name)
	}
	for sc := range strings.SplitSeq(scopeList, "+") {
		if !slices.Contains(Scopes(), sc) {
			return "", hash, nil, fmt.Errorf("key %q: scope %q unknown (want predict, read or admin)", name, sc)
		}
		if slices.Contains(scopes, sc) {
			return "", hash, nil, fmt.Errorf("key %q: scope %q repeated", name, sc)
		}
		scopes = append(scopes, sc)
	}
	return name, hash, scopes, nil
}

func validName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("name must be 1 to 64 characters, got %d", len(name))
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("name %q: only letters, digits, '.', '_' and '-' are allowed", name)
		}
	}
	return nil
}
