package learn

import (
	"math/rand/v2"
	"slices"

	"gitlab.com/mlserve/mlserve/model"
)

// Random streams: each use of randomness draws from its own generator
// seeded by the validation seed, so changing one use (more trees, say)
// does not move another (which rows are held out).
const (
	StreamSplit = 1 // holdout and folds
	StreamFit   = 2 // a model's own draws; the model index is added
)

// NewRand returns a generator for one stream of seed. PCG is a fixed
// algorithm, and draws go through intn below rather than math/rand/v2's
// helpers, so the same seed gives the same draws on every Go version.
func NewRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// Intn returns a number in [0, n). The modulo bias is below 2⁻³² for any
// n this package uses.
func Intn(r *rand.Rand, n int) int {
	return int(r.Uint64() % uint64(n))
}

// Permutation returns 0..n-1 shuffled (Fisher-Yates).
func Permutation(r *rand.Rand, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := Intn(r, i+1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// HoldoutSplit splits rows 0..n-1 into training and test rows, each in
// ascending order, the test part model.HoldoutTestRows(n, holdout) rows
// drawn at random.
func HoldoutSplit(n int, holdout float64, seed int64) (train, test []int) {
	p := Permutation(NewRand(seed, StreamSplit), n)
	k := model.HoldoutTestRows(n, holdout)
	test, train = p[:k], p[k:]
	slices.Sort(test)
	slices.Sort(train)
	return train, test
}

// FoldSplit deals rows 0..n-1, shuffled, into k folds of sizes differing
// by at most one, each in ascending order.
func FoldSplit(n, k int, seed int64) [][]int {
	folds := make([][]int, k)
	for i, row := range Permutation(NewRand(seed, StreamSplit), n) {
		folds[i%k] = append(folds[i%k], row)
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds
}

// Complement returns the rows of 0..n-1 not in sorted, ascending.
func Complement(n int, sorted []int) []int {
	out := make([]int, 0, n-len(sorted))
	j := 0
	for i := 0; i < n; i++ {
		if j < len(sorted) && sorted[j] == i {
			j++
			continue
		}
		out = append(out, i)
	}
	return out
}
