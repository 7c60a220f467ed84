package scoring

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestFloatTextFormatsAsAppendFloat(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, 0.02, 0.98, 1.0 / 3, -2.2250738585072014e-308,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1e21, 1e-7, math.NaN(), math.Inf(1), math.Inf(-1)}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		values = append(values, float64(rng.IntN(51))/50, rng.NormFloat64()*1e3, math.Float64frombits(rng.Uint64()))
	}
	var c floatText
	for round := range 2 { // the second from the cache, as far as it holds them
		for _, v := range values {
			want := strconv.FormatFloat(v, 'g', -1, 64)
			if got := string(c.append([]byte("x"), v)); got != "x"+want {
				t.Fatalf("round %d: %v (%#x) formatted %q, want %q", round, v, math.Float64bits(v), got, "x"+want)
			}
		}
	}
}
