package config

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/apikey"
)

func TestMaskedHidesEverySecret(t *testing.T) {
	key, hash, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	entry, err := apikey.Entry("ci", hash, apikey.ScopePredict, apikey.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	opsHash := strings.Repeat("ab", 32)
	c := mustLoad(t, nil, getenv(
		"MLSERVE_AUTH_KEYS", opsKey+","+entry,
		"MLSERVE_REDIS_PASSWORD", "redis-hunter2",
		"MLSERVE_MONGO_URI", "mongodb://app:mongo-hunter2@db:27017/mlserve?authSource=admin&tlsCertificateKeyFilePassword=pem-hunter2",
	))
	if sum := apikey.Sum(key); c.Auth.Keys[1].Hash != sum {
		t.Fatalf("an entry from apikey.Entry loads hash %x, want %x", c.Auth.Keys[1].Hash, sum)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "value", *c, "pointer", c)
	outputs := map[string]string{
		"Masked":           fmt.Sprint(c.Masked()),
		"slog of a Config": logged.String(),
	}
	for what, out := range outputs {
		t.Run(what+" shows no password, hash or key", func(t *testing.T) {
			for _, secret := range []string{"redis-hunter2", "mongo-hunter2", "pem-hunter2", hash, opsHash, key, hex.EncodeToString(c.Auth.Keys[1].Hash[:])} {
				if strings.Contains(out, secret) {
					t.Errorf("output contains %q:\n%s", secret, out)
				}
			}
		})
	}

	m := c.Masked()
	t.Run("Masked shows that secrets are set, and what is not secret", func(t *testing.T) {
		want := map[string]string{
			"redis.password": "***",
			"mongo.uri":      "mongodb://app:***@db:27017/mlserve?authSource=admin&tlsCertificateKeyFilePassword=***",
			"auth.keys":      "[ops:admin ci:predict+read]",
			"http.addr":      ":8080",
			"mongo.timeout":  "10s",
			"cache.bytes":    "268435456",
		}
		for k, w := range want {
			if got := show(m[k]); got != w {
				t.Errorf("%s = %s, want %s", k, got, w)
			}
		}
	})
	t.Run("Masked lists every key", func(t *testing.T) {
		for _, k := range Keys() {
			if _, ok := m[k.Name]; !ok {
				t.Errorf("%s missing", k.Name)
			}
		}
	})
}

func TestMaskURI(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a URI without a password is unchanged", "mongodb://db:27017/x", "mongodb://db:27017/x"},
		{"a user without a password is kept", "mongodb://app@db:27017", "mongodb://app@db:27017"},
		{"a password is masked", "mongodb+srv://app:p%40ss@cluster.example.net/", "mongodb+srv://app:***@cluster.example.net/"},
		{"a URI that does not parse is masked whole", "mongodb://app:pa/ss@db", "***"},
		{"an empty URI stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskURI(tt.in); got != tt.want {
				t.Fatalf("maskURI(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskedRedisPasswordIsEmptyWhenUnset(t *testing.T) {
	if got := mustLoad(t, nil, getenv()).Masked()["redis.password"]; got != "" {
		t.Fatalf("redis.password = %q, want empty", got)
	}
}
