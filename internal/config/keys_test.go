package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestKeyNames(t *testing.T) {
	envs, flags := map[string]string{}, map[string]string{}
	for _, k := range Keys() {
		t.Run(k.Name+" has a unique env and flag derived from its name", func(t *testing.T) {
			if want := "MLSERVE_" + strings.ToUpper(strings.ReplaceAll(k.Name, ".", "_")); k.Env != want {
				t.Errorf("env = %q, want %q", k.Env, want)
			}
			if want := strings.NewReplacer(".", "-", "_", "-").Replace(k.Name); k.Flag != want {
				t.Errorf("flag = %q, want %q", k.Flag, want)
			}
			if other, dup := envs[k.Env]; dup {
				t.Errorf("env %s also belongs to %s", k.Env, other)
			}
			if other, dup := flags[k.Flag]; dup {
				t.Errorf("flag --%s also belongs to %s", k.Flag, other)
			}
			envs[k.Env], flags[k.Flag] = k.Name, k.Name
			if k.Usage == "" {
				t.Error("no usage")
			}
		})
	}
}

// show formats a value for comparison.
func show(v any) string { return fmt.Sprintf("%v", v) }

// nestedJSON is a JSON config file setting the dotted key name to value.
func nestedJSON(tb testing.TB, name, value string) string {
	tb.Helper()
	parts := strings.Split(name, ".")
	var doc any = value
	for i := len(parts) - 1; i >= 0; i-- {
		doc = map[string]any{parts[i]: doc}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestEveryConfigFieldHasAKey loads every key's example at once and checks
// that every field of Config moved off its default: a field no key sets
// would stay put.
func TestEveryConfigFieldHasAKey(t *testing.T) {
	var env []string
	for _, k := range table() {
		env = append(env, k.Env, k.example)
	}
	base := mustLoad(t, nil, getenv())
	all := mustLoad(t, nil, getenv(env...))
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Struct:
			for i := range a.NumField() {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		case reflect.Map:
			for _, mk := range a.MapKeys() {
				if reflect.DeepEqual(a.MapIndex(mk).Interface(), b.MapIndex(mk).Interface()) {
					t.Errorf("%s[%v] has no key setting it", path, mk)
				}
			}
		default:
			if reflect.DeepEqual(a.Interface(), b.Interface()) {
				t.Errorf("%s has no key setting it", path)
			}
		}
	}
	walk("Config", reflect.ValueOf(*base), reflect.ValueOf(*all))
}
