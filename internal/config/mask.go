package config

import (
	"log/slog"
	"net/url"
	"strings"
)

// Masked returns every key with its effective value, for logging at start:
// durations as strings ("30s"), sizes in bytes, and secrets masked — the
// Redis password as "***", the password in mongo.uri as "***", auth.keys as
// "name:scope+scope" without hashes.
func (c Config) Masked() map[string]any {
	m := make(map[string]any)
	for _, k := range table() {
		m[k.Name] = k.show(&c)
	}
	return m
}

// LogValue makes slog print a Config as Masked does, in key order, so logging
// a Config (or a *Config) never leaks a secret.
func (c Config) LogValue() slog.Value {
	keys := table()
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k.Name, k.show(&c)))
	}
	return slog.GroupValue(attrs...)
}

// maskURI replaces the password of a URI with "***", and the values of query
// options that carry credentials. What does not parse is masked whole.
func maskURI(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "***"
	}
	q := u.Query()
	masked := false
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || lk == "authmechanismproperties" {
			q[k] = []string{"***"}
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	// Redacted writes "xxxxx" for the password; the user part before it cannot
	// hold an unescaped ':', so the first ":xxxxx@" is the password.
	out := u.Redacted()
	if _, has := u.User.Password(); has {
		out = strings.Replace(out, ":xxxxx@", ":***@", 1)
	}
	return strings.ReplaceAll(out, "%2A%2A%2A", "***")
}
