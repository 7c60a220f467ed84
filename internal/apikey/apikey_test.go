package apikey_test

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/apikey"
)

func TestGenerate(t *testing.T) {
	key, hash, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the key carries the prefix and 32 bytes of base64url", func(t *testing.T) {
		if !strings.HasPrefix(key, apikey.Prefix) {
			t.Fatalf("key %q lacks prefix %q", key, apikey.Prefix)
		}
		if got, want := len(key), len(apikey.Prefix)+43; got != want {
			t.Fatalf("key length = %d, want %d", got, want)
		}
		if strings.ContainsAny(key, "+/=") {
			t.Fatalf("key %q is not unpadded base64url", key)
		}
	})
	t.Run("the hash is the lowercase hex SHA-256 of the whole key", func(t *testing.T) {
		sum := apikey.Sum(key)
		if want := hex.EncodeToString(sum[:]); hash != want {
			t.Fatalf("hash = %q, want %q", hash, want)
		}
	})
	t.Run("two keys differ", func(t *testing.T) {
		other, _, err := apikey.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if other == key {
			t.Fatal("Generate returned the same key twice")
		}
	})
}

func TestSumMatchesAKnownVector(t *testing.T) {
	// sha256("abc"), FIPS 180-2 appendix B.1.
	sum := apikey.Sum("abc")
	if got, want := hex.EncodeToString(sum[:]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("Sum(abc) = %s, want %s", got, want)
	}
}

func TestEntryRoundTrips(t *testing.T) {
	key, hash, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	entry, err := apikey.Entry("ci-bot", hash, apikey.ScopePredict, apikey.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ci-bot:" + hash + ":predict+read"; entry != want {
		t.Fatalf("Entry = %q, want %q", entry, want)
	}
	name, sum, scopes, err := apikey.ParseEntry(entry)
	if err != nil {
		t.Fatal(err)
	}
	if name != "ci-bot" || sum != apikey.Sum(key) || !slices.Equal(scopes, []string{"predict", "read"}) {
		t.Fatalf("ParseEntry = %q, %x, %q", name, sum, scopes)
	}
}

func TestParseEntryRejects(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		name, entry, wantErr string
	}{
		{"an entry without scopes", "a:" + hash, "got 2 colon-separated parts"},
		{"an entry with a fourth part", "a:" + hash + ":read:x", "got 4"},
		{"an empty name", ":" + hash + ":read", "name must be 1 to 64"},
		{"a name with a space", "a b:" + hash + ":read", "only letters"},
		{"a short hash", "a:abcd:read", "64 hex digits"},
		{"a hash that is not hex", "a:" + strings.Repeat("zz", 32) + ":read", "64 hex digits"},
		{"an unknown scope", "a:" + hash + ":root", `scope "root" unknown (want predict, read or admin)`},
		{"an empty scope", "a:" + hash + ":read+", `scope "" unknown`},
		{"a repeated scope", "a:" + hash + ":read+read", `scope "read" repeated`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := apikey.ParseEntry(tt.entry)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseEntry(%q) error = %v, want it to contain %q", tt.entry, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), hash) {
				t.Fatalf("error %q quotes the hash", err)
			}
		})
	}
}

func TestEntryRejectsWhatParseEntryWould(t *testing.T) {
	if _, err := apikey.Entry("ops", strings.Repeat("0", 64)); err == nil {
		t.Fatal("Entry without scopes succeeded")
	}
	if _, err := apikey.Entry("a:b", strings.Repeat("0", 64), "read"); err == nil {
		t.Fatal("Entry with a colon in the name succeeded")
	}
}
