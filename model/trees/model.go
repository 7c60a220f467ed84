package trees

import (
	"math"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// The kinds of model this package stores.
const (
	kindTree   = "tree"   // one CART tree: its leaf's values
	kindForest = "forest" // a random forest: its trees' leaf values averaged
	kindBoost  = "boost"  // gradient boosting: a baseline plus every tree's leaf value
)

// node is a node of a stored tree. A split sends x to Left when
// x[Feature] ≤ Threshold, to Right when it is greater, and a missing value
// (NaN) to Right when MissingRight, else to Left. A leaf has Feature -1;
// its values are the tree's Values[Leaf*width:(Leaf+1)*width].
type node struct {
	Feature      int32
	Threshold    float64
	Left, Right  int32
	MissingRight bool
	Leaf         int32
}

// tree is a stored tree: its nodes, the root first, and its leaves'
// values, width per leaf: class shares (class counts as grown, before it
// is stored) or one value.
type tree struct {
	Nodes  []node
	Values []float64
	depth  int32 // the most splits on a path, computed on load
}

// forestModel is a fitted model of any kind, as stored and as the
// reference predictor reads it.
type forestModel struct {
	kind    string
	task    string
	classes int
	// width is how many values a leaf holds: the classes of a
	// classification tree or forest (their shares), else 1.
	width int
	trees []tree
	// outputs and baseline, for boosting: the raw scores a model adds
	// trees to (one per class for more than two classes, else one), and
	// where they start. Tree t adds to output t % outputs.
	outputs  int
	baseline []float64
	// thresholds are each encoded column's, as the artifact stores them.
	thresholds [][]float64
}

// leaf returns the leaf index x reaches in t.
func (t *tree) leaf(x []float64) int32 {
	n := &t.Nodes[0]
	for n.Feature >= 0 {
		v := x[n.Feature]
		next := n.Left
		if v > n.Threshold || v != v && n.MissingRight {
			next = n.Right
		}
		n = &t.Nodes[next]
	}
	return n.Leaf
}

// outcome is one prediction: a class and its probabilities, or a value.
type outcome struct {
	class int
	probs []float64
	value float64
}

// predict is the reference prediction of one encoded row, what the fast
// predictors are tested against: sums are taken tree by tree in stored
// order, and the same finishing functions turn them into the answer.
func (m *forestModel) predict(x []float64) outcome {
	switch m.kind {
	case kindBoost:
		raw := make([]float64, m.outputs)
		copy(raw, m.baseline)
		for t := range m.trees {
			raw[t%m.outputs] += m.trees[t].Values[m.trees[t].leaf(x)]
		}
		if m.task == model.TaskRegression {
			return outcome{value: raw[0]}
		}
		probs := make([]float64, m.classes)
		scoresToProbs(raw, probs)
		return outcome{class: learn.Argmax(probs), probs: probs}
	default:
		// Leaf values are added a group of lanes (8) trees at a time, as
		// a tree of pairs, then the group to the sum; the trees past the
		// last whole group one by one.
		sum := make([]float64, m.width)
		leaf := func(t, k int) float64 {
			return m.trees[t].Values[int(m.trees[t].leaf(x))*m.width+k]
		}
		t := 0
		for ; t+lanes <= len(m.trees); t += lanes {
			for k := range sum {
				a := (leaf(t, k) + leaf(t+1, k)) + (leaf(t+2, k) + leaf(t+3, k))
				b := (leaf(t+4, k) + leaf(t+5, k)) + (leaf(t+6, k) + leaf(t+7, k))
				sum[k] += a + b
			}
		}
		for ; t < len(m.trees); t++ {
			for k := range sum {
				sum[k] += leaf(t, k)
			}
		}
		n := float64(len(m.trees))
		for k := range sum {
			sum[k] /= n
		}
		if m.task == model.TaskRegression {
			return outcome{value: sum[0]}
		}
		return outcome{class: learn.Argmax(sum), probs: sum}
	}
}

// scoresToProbs turns a boosted classifier's raw scores into class
// probabilities: the sigmoid of the one score of a binary model (the
// second class's probability), else the softmax of one score per class.
func scoresToProbs(raw, probs []float64) {
	if len(raw) == 1 {
		p := sigmoid(raw[0])
		probs[0], probs[1] = 1-p, p
		return
	}
	learn.Softmax(raw, probs)
}

// sigmoid is the logistic function, computed so neither tail overflows.
func sigmoid(s float64) float64 {
	if s >= 0 {
		return 1 / (1 + math.Exp(-s))
	}
	e := math.Exp(s)
	return e / (1 + e)
}
