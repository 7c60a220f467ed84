package csvdata

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// irisLike returns a CSV of rows iris-shaped rows: four measurements with
// one decimal and a species name.
func irisLike(rows int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	species := []string{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}
	var b bytes.Buffer
	b.WriteString("sepal_length,sepal_width,petal_length,petal_width,species\n")
	for range rows {
		fmt.Fprintf(&b, "%.1f,%.1f,%.1f,%.1f,%s\n",
			4+rng.Float64()*4, 2+rng.Float64()*2.5, 1+rng.Float64()*6, 0.1+rng.Float64()*2.4,
			species[rng.IntN(len(species))])
	}
	return b.Bytes()
}

func BenchmarkInspect(b *testing.B) {
	data := irisLike(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sum, err := Inspect(bytes.NewReader(data), Limits{})
		if err != nil || sum.Rows != 100_000 {
			b.Fatalf("Inspect = %+v, %v", sum, err)
		}
	}
}
