package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// jsonSchema is the subset of JSON Schema that testdata/oip_rest_schemas.json
// uses (written from the protocol's open_inference_rest.yaml).
type jsonSchema struct {
	Ref        string                 `json:"$ref"`
	Type       string                 `json:"type"`
	Required   []string               `json:"required"`
	Properties map[string]*jsonSchema `json:"properties"`
	Items      *jsonSchema            `json:"items"`
	AnyOf      []*jsonSchema          `json:"anyOf"`
}

// oipSchemas are the protocol's component schemas by name.
type oipSchemas map[string]*jsonSchema

func loadOIPSchemas(tb testing.TB) oipSchemas {
	tb.Helper()
	raw, err := os.ReadFile("testdata/oip_rest_schemas.json")
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas oipSchemas `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	return doc.Components.Schemas
}

// validate checks doc against the named schema. strict also rejects
// properties the schema does not list where it lists some: the spec allows
// them, but mlserve means to send none.
func (s oipSchemas) validate(name string, doc []byte, strict bool) error {
	sch, ok := s[name]
	if !ok {
		return fmt.Errorf("no schema %q", name)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return s.check(sch, v, "$", strict, 0)
}

func (s oipSchemas) check(sch *jsonSchema, v any, path string, strict bool, depth int) error {
	if depth > 32 {
		return fmt.Errorf("%s: nested too deeply", path)
	}
	if sch.Ref != "" {
		target, ok := s[strings.TrimPrefix(sch.Ref, "#/components/schemas/")]
		if !ok {
			return fmt.Errorf("%s: unresolved $ref %s", path, sch.Ref)
		}
		return s.check(target, v, path, strict, depth+1)
	}
	if len(sch.AnyOf) > 0 {
		var errs []string
		for _, alt := range sch.AnyOf {
			err := s.check(alt, v, path, strict, depth+1)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no anyOf alternative: %s", path, strings.Join(errs, " | "))
	}
	if sch.Type != "" && !hasType(v, sch.Type) {
		return fmt.Errorf("%s: %v is not of type %s", path, v, sch.Type)
	}
	switch v := v.(type) {
	case map[string]any:
		for _, req := range sch.Required {
			if _, ok := v[req]; !ok {
				return fmt.Errorf("%s: required property %q is missing", path, req)
			}
		}
		for k, pv := range v {
			ps, ok := sch.Properties[k]
			if !ok {
				if strict && sch.Properties != nil {
					return fmt.Errorf("%s: unexpected property %q", path, k)
				}
				continue
			}
			if err := s.check(ps, pv, path+"."+k, strict, depth+1); err != nil {
				return err
			}
		}
	case []any:
		if sch.Items != nil {
			for i, item := range v {
				if err := s.check(sch.Items, item, fmt.Sprintf("%s[%d]", path, i), strict, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// hasType reports whether v, decoded with UseNumber, is of the JSON Schema
// type t.
func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if _, err := n.Int64(); err == nil {
			return true
		}
		f, err := n.Float64()
		return err == nil && f == float64(int64(f))
	case "null":
		return v == nil
	}
	return false
}

// TestOIPSchemaValidator shows the validator can fail: each document breaks
// the schema in one way.
func TestOIPSchemaValidator(t *testing.T) {
	s := loadOIPSchemas(t)
	for name := range s {
		if !slices.Contains([]string{"parameters"}, name) && s[name].Type == "" {
			t.Errorf("schema %s has no type", name)
		}
	}
	good := `{"model_name":"m","outputs":[{"name":"o","shape":[2],"datatype":"FP64","data":[1,[2.5,"x",true]]}]}`
	if err := s.validate("inference_response", []byte(good), true); err != nil {
		t.Fatalf("a valid response fails: %v", err)
	}
	bad := []struct{ name, schema, doc string }{
		{"a missing required property", "inference_response", `{"outputs":[]}`},
		{"a wrong property type", "inference_response", `{"model_name":1,"outputs":[]}`},
		{"a fractional shape", "inference_response", `{"model_name":"m","outputs":[{"name":"o","shape":[1.5],"datatype":"FP64","data":[]}]}`},
		{"null tensor data", "inference_response", `{"model_name":"m","outputs":[{"name":"o","shape":[1],"datatype":"FP64","data":[null]}]}`},
		{"an object in tensor data", "inference_response", `{"model_name":"m","outputs":[{"name":"o","shape":[1],"datatype":"FP64","data":[{}]}]}`},
		{"an unexpected property, strictly", "inference_response", `{"model_name":"m","outputs":[],"extra":1}`},
		{"extensions not an array", "metadata_server_response", `{"name":"n","version":"v","extensions":"x"}`},
		{"a tensor without a shape", "metadata_model_response", `{"name":"n","platform":"p","inputs":[{"name":"x","datatype":"FP64"}]}`},
		{"an error without error", "inference_error_response", `{"message":"x"}`},
	}
	for _, tt := range bad {
		t.Run(tt.name+" fails validation", func(t *testing.T) {
			if err := s.validate(tt.schema, []byte(tt.doc), true); err == nil {
				t.Fatalf("%s validates", tt.doc)
			}
		})
	}
}
