package mongo

import (
	"encoding/base64"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// Kinds of key cursor, so that a cursor of one listing is refused by
// another.
const (
	cursorModel   = "model"
	cursorVersion = "version"
)

// encodeKeyCursor makes the opaque cursor that resumes a listing of kind
// after key: base64url of "kind:key".
func encodeKeyCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

// decodeKeyCursor reverses encodeKeyCursor.
func decodeKeyCursor(kind, c string) (key string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	key, ok = strings.CutPrefix(string(b), kind+":")
	return key, ok && key != ""
}

// badCursor is the error for a cursor this store did not make.
func badCursor() error {
	return model.Invalid(map[string]string{"cursor": "not a cursor from a previous page"})
}
