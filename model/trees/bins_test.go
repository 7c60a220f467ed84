package trees

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBins(t *testing.T) {
	t.Run("few distinct values get a threshold midway between each two", func(t *testing.T) {
		got := thresholds([]float64{3, 1, 2, 1, 3}, 255)
		if !slices.Equal(got, []float64{1.5, 2.5}) {
			t.Errorf("thresholds %v", got)
		}
	})
	t.Run("many values get at most bins-1 ascending thresholds, at quantiles", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 1))
		values := make([]float64, 10000)
		for i := range values {
			values[i] = r.NormFloat64()
		}
		got := thresholds(slices.Clone(values), 16)
		if len(got) != 15 || !slices.IsSorted(got) {
			t.Fatalf("%d thresholds %v", len(got), got)
		}
		b := binColumns(rowsOf(values), 16)
		counts := make([]int, 17)
		for _, c := range b.codes[0] {
			counts[c]++
		}
		for bin, n := range counts[:16] {
			if n < 500 || n > 750 { // 625 each
				t.Errorf("bin %d holds %d of 10000 rows", bin, n)
			}
		}
	})
	t.Run("a value is in the first bin whose threshold it does not exceed, and NaN in the missing bin", func(t *testing.T) {
		th := []float64{1, 2, 3}
		for _, tt := range []struct {
			v    float64
			want uint8
		}{{-5, 0}, {1, 0}, {1.5, 1}, {2, 1}, {3, 2}, {3.5, 3}, {math.NaN(), 4}} {
			if got := binOf(th, tt.v); got != tt.want {
				t.Errorf("binOf(%v) = %d, want %d", tt.v, got, tt.want)
			}
		}
	})
	t.Run("bin ≤ b is the test x ≤ threshold b, for every value and bin", func(t *testing.T) {
		r := rand.New(rand.NewPCG(2, 2))
		values := make([]float64, 3000)
		for i := range values {
			values[i] = math.Round(r.ExpFloat64()*100) / 10 // ties, and a long tail
		}
		b := binColumns(rowsOf(values), 255)
		for i, v := range values {
			for bin, th := range b.thresholds[0] {
				if (b.codes[0][i] <= uint8(bin)) != (v <= th) {
					t.Fatalf("value %v in bin %d, threshold %d is %v", v, b.codes[0][i], bin, th)
				}
			}
		}
	})
	t.Run("neighbours too close for a midpoint are split at the lower", func(t *testing.T) {
		lo := 1.0
		hi := math.Nextafter(lo, 2)
		if got := thresholds([]float64{lo, hi}, 255); !slices.Equal(got, []float64{lo}) {
			t.Errorf("thresholds %v", got)
		}
	})
}

func rowsOf(values []float64) [][]float64 {
	rows := make([][]float64, len(values))
	for i, v := range values {
		rows[i] = []float64{v}
	}
	return rows
}
