// Command traindata writes the datasets bench/train.sh trains on, the same
// bytes every time:
//
//   - classes.csv: rows of 8 standard normal features x0..x7 and a label
//     c0, c1 or c2, the largest of three nonlinear scores of the features
//     (products, squares, a sine and a cosine), each with normal noise
//     (σ 0.7): a dataset linear models do poorly on and trees well;
//   - friedman.csv: Friedman's regression #1 (scikit-learn's
//     make_friedman1): 8 features uniform in [0, 1], of which 5 matter,
//     y = 10·sin(π·x0·x1) + 20·(x2 − 0.5)² + 10·x3 + 5·x4 + N(0, 1).
//
// Usage: traindata -rows 50000 -dir DIR
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	rows := flag.Int("rows", 50000, "rows of each dataset")
	dir := flag.String("dir", ".", "where to write the CSV files")
	flag.Parse()
	if err := run(*rows, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "traindata:", err)
		os.Exit(1)
	}
}

func run(rows int, dir string) error {
	if err := write(filepath.Join(dir, "classes.csv"), rows, classesRow); err != nil {
		return err
	}
	return write(filepath.Join(dir, "friedman.csv"), rows, friedmanRow)
}

func write(path string, rows int, row func(r *rand.Rand) ([]float64, string)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(2026, uint64(len(path))))
	for j := range 8 {
		fmt.Fprintf(w, "x%d,", j)
	}
	fmt.Fprintln(w, "y")
	for range rows {
		x, y := row(r)
		for _, v := range x {
			w.WriteString(strconv.FormatFloat(v, 'g', 6, 64))
			w.WriteByte(',')
		}
		w.WriteString(y)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func classesRow(r *rand.Rand) ([]float64, string) {
	x := make([]float64, 8)
	for j := range x {
		x[j] = r.NormFloat64()
	}
	scores := []float64{
		x[0]*x[1] + math.Sin(2*x[2]),
		x[3]*x[3] - x[4] + 0.5*x[5]*x[0] - 0.5,
		math.Cos(x[6]) + x[7]*x[2] - 0.5,
	}
	best := 0
	for c := range scores {
		scores[c] += 0.7 * r.NormFloat64()
		if scores[c] > scores[best] {
			best = c
		}
	}
	return x, "c" + strconv.Itoa(best)
}

func friedmanRow(r *rand.Rand) ([]float64, string) {
	x := make([]float64, 8)
	for j := range x {
		x[j] = r.Float64()
	}
	y := 10*math.Sin(math.Pi*x[0]*x[1]) + 20*(x[2]-0.5)*(x[2]-0.5) + 10*x[3] + 5*x[4] + r.NormFloat64()
	return x, strconv.FormatFloat(y, 'g', 8, 64)
}
