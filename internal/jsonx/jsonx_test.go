package jsonx

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// marshal is what encoding/json writes for v, without HTML escaping.
func marshal(tb testing.TB, v any) string {
	tb.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func FuzzAppendStringWritesWhatEncodingJSONWrites(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\s`, "tab\tnl\nnul\x00", "é ü 日本", "\xff\xfe bad", "\u2028\u2029", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString(nil, s)), marshal(t, s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}

func FuzzAppendFloatWritesWhatEncodingJSONWrites(f *testing.F) {
	for _, v := range []float64{0, 1, -1.5, 0.1, 1e-7, 1e21, 123456789, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if got := string(AppendFloat(nil, v)); got != "null" {
				t.Fatalf("AppendFloat(%v) = %s, want null", v, got)
			}
			return
		}
		if got, want := string(AppendFloat(nil, v)), marshal(t, v); got != want {
			t.Fatalf("AppendFloat(%v) = %s, encoding/json %s", v, got, want)
		}
	})
}
