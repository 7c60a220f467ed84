package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// validator is implemented by request bodies that check their own shape.
type validator interface {
	Valid() error
}

// decode reads one JSON value from r's body into v, which must be a pointer.
// It requires Content-Type application/json (charset utf-8 allowed),
// rejects unknown fields and anything after the value, and then runs v's
// Valid method when it has one. Every error it returns is a *model.Error
// that writeError maps: 415 wrong content type, 413 over the body limit
// (set by limitBody), 400 malformed JSON with the offset or field at fault,
// 422 with field problems from Valid.
func decode(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// A second value, or garbage, after the first is a malformed body, not
	// something to ignore: the client did not send what it meant.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if errors.As(err, new(*http.MaxBytesError)) {
			return decodeError(err)
		}
		return model.Errorf(model.CodeMalformed, "unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	if val, ok := v.(validator); ok {
		return val.Valid()
	}
	return nil
}

// requireJSON checks that the body is declared as UTF-8 JSON.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return model.Errorf(codeUnsupportedMedia, "Content-Type must be application/json, got %q", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return model.Errorf(codeUnsupportedMedia, "JSON must be UTF-8, got charset %q", cs)
	}
	return nil
}

// decodeError maps an encoding/json or body-read error to a client error.
// Nothing a client sends can make it an internal error.
func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return tooLarge(maxErr.Limit)
	case errors.Is(err, io.EOF):
		return model.Errorf(model.CodeMalformed, "the request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return model.Errorf(model.CodeMalformed, "the request body ends in the middle of a JSON value")
	case errors.As(err, &syntaxErr):
		return model.Errorf(model.CodeMalformed, "malformed JSON at offset %d: %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return model.Errorf(model.CodeMalformed, "the body is a JSON %s at offset %d; want an object", typeErr.Value, typeErr.Offset)
		}
		msg := fmt.Sprintf("must be %s, got %s", jsonKind(typeErr.Type), typeErr.Value)
		return &model.Error{
			Code:    model.CodeMalformed,
			Message: fmt.Sprintf("field %q at offset %d: %s", typeErr.Field, typeErr.Offset, msg),
			Fields:  map[string]string{typeErr.Field: msg},
		}
	}
	// DisallowUnknownFields reports with an untyped error.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field = strings.Trim(field, `"`)
		return &model.Error{
			Code:    model.CodeMalformed,
			Message: fmt.Sprintf("unknown field %q", field),
			Fields:  map[string]string{field: "unknown field"},
		}
	}
	// A read error: the client hung up or sent a broken chunked body.
	return model.Errorf(model.CodeMalformed, "read the request body: %v", err)
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "a " + t.String()
}
