package golearn

import (
	"cmp"
	"math"
	"slices"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"
)

// Split criteria, the values of decision_tree's "rule".
const (
	ruleInformationGain = "information_gain"
	ruleGainRatio       = "gain_ratio"
	ruleGini            = "gini"
)

// splitRule is a trees.RuleGenerator: it picks the attribute and threshold
// golearn's ID3 splits a node on, by golearn's criteria, computed so that
// the choice depends only on the node's rows, never on the order golearn
// hands them over in:
//
//   - every candidate's threshold is the midpoint between two adjacent
//     distinct values that minimizes the split's conditional entropy,
//     the first such on ties (golearn's getNumericAttributeEntropy, less
//     its index bug: past a run of repeated values it skips the next
//     boundary and scores the split below a repeated value v as if v went
//     right, while ID3 then sends v left; on distinct values the two
//     agree, see TestSplitRuleAgreesWithGolearn);
//   - information_gain picks the largest gain (golearn's
//     InformationGainRuleGenerator); gain_ratio the largest gain divided by
//     the conditional entropy (golearn's InformationGainRatioRuleGenerator,
//     which divides by that rather than by C4.5's split information);
//     gini the smallest weighted Gini impurity of the two sides, which is
//     what golearn's GiniCoefficientRuleGenerator means to compute (its
//     computeGini reads an empty map, so it always picks the first
//     attribute);
//   - sums run in class order and candidates in attribute order, the
//     first best candidate wins.
//
// Attributes must be golearn float attributes; the class a categorical
// attribute whose values are the class indexes.
type splitRule struct {
	criterion string
	classes   int
}

type valueClass struct {
	v     float64
	class int
}

// GenerateSplitRule implements trees.RuleGenerator. A rule without an
// attribute (no candidate has two distinct values) makes InferID3Tree end
// the node as a leaf.
func (r *splitRule) GenerateSplitRule(f base.FixedDataGrid) *trees.DecisionTreeRule {
	classAttr := f.AllClassAttributes()[0]
	classSpec, err := f.GetAttribute(classAttr)
	if err != nil {
		panic(err)
	}
	_, rows := f.Size()
	pairs := make([]valueClass, 0, rows)
	totals := make([]int, r.classes)
	counted := false
	best := &trees.DecisionTreeRule{}
	bestScore := math.Inf(-1)
	for _, a := range f.AllAttributes() {
		fa, ok := a.(*base.FloatAttribute)
		if !ok || a.Equals(classAttr) {
			continue
		}
		spec, err := f.GetAttribute(a)
		if err != nil {
			panic(err)
		}
		pairs = pairs[:0]
		f.MapOverRows([]base.AttributeSpec{spec, classSpec}, func(row [][]byte, _ int) (bool, error) {
			pairs = append(pairs, valueClass{base.UnpackBytesToFloat(row[0]), int(base.UnpackBytesToU64(row[1]))})
			return true, nil
		})
		if !counted {
			for _, p := range pairs {
				totals[p.class]++
			}
			counted = true
		}
		slices.SortFunc(pairs, func(a, b valueClass) int {
			return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.class, b.class))
		})
		score, threshold, ok := r.score(pairs, totals)
		if ok && score > bestScore {
			best, bestScore = &trees.DecisionTreeRule{SplitAttr: fa, SplitVal: threshold}, score
		}
	}
	return best
}

// score returns how good the best split of the sorted pairs is (larger is
// better) and its threshold, or ok false when all values are equal.
func (r *splitRule) score(pairs []valueClass, totals []int) (score, threshold float64, ok bool) {
	left := make([]int, r.classes)
	right := slices.Clone(totals)
	n := float64(len(pairs))
	best := math.Inf(1)
	var bestLeft []int
	for i := 0; i < len(pairs)-1; i++ {
		left[pairs[i].class]++
		right[pairs[i].class]--
		lo, hi := pairs[i].v, pairs[i+1].v
		if lo == hi {
			continue
		}
		h := (float64(i+1)*entropy(left) + (n-float64(i+1))*entropy(right)) / n
		if h < best {
			best, threshold, ok = h, midpoint(lo, hi), true
			bestLeft = slices.Clone(left)
		}
	}
	if !ok {
		return 0, 0, false
	}
	switch r.criterion {
	case ruleGainRatio:
		return (entropy(totals) - best) / best, threshold, true
	case ruleGini:
		bestRight := make([]int, len(totals))
		for c := range totals {
			bestRight[c] = totals[c] - bestLeft[c]
		}
		l, rt := float64(sum(bestLeft)), float64(sum(bestRight))
		return -(l*gini(bestLeft) + rt*gini(bestRight)) / n, threshold, true
	default:
		return entropy(totals) - best, threshold, true
	}
}

// midpoint returns the threshold between lo < hi that golearn's ID3 splits
// at, sending values above it to one child and the rest to the other: their
// mean as golearn computes it, halved first if the sum overflows, and lo
// itself when rounding put the mean onto hi (which would send hi the wrong
// way).
func midpoint(lo, hi float64) float64 {
	m := (lo + hi) / 2
	if math.IsInf(m, 0) {
		m = lo/2 + hi/2
	}
	if !(m < hi) || m < lo {
		return lo
	}
	return m
}

// entropy is the Shannon entropy, in bits, of class counts.
func entropy(counts []int) float64 {
	n := float64(sum(counts))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// gini is the Gini impurity of class counts.
func gini(counts []int) float64 {
	n := float64(sum(counts))
	if n == 0 {
		return 0
	}
	g := 1.0
	for _, c := range counts {
		p := float64(c) / n
		g -= p * p
	}
	return g
}

func sum(counts []int) int {
	s := 0
	for _, c := range counts {
		s += c
	}
	return s
}
