package golearn

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/sjwhitworth/golearn/metrics/pairwise"
	"gonum.org/v1/gonum/mat"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// payloadKNN is the payload of a knn classifier, its training rows:
// rows×dims little-endian float64s, row by row, then each row's class as a
// little-endian uint16. golearn's KNN keeps the same rows but its own
// serialization (a tar of its instances) carries nothing more, and its
// Predict is not used (see knnModel).
const payloadKNN = "knn-rows/1"

// payloadKNNValues is the payload of a knn regression: the rows as in
// payloadKNN, then each row's target as a little-endian float64.
const payloadKNNValues = "knn-rows-values/1"

// fitKNN stores the training rows: k nearest neighbours learns nothing
// more. Checking k against the rows is PrepareTrain's job, repeated here.
func fitKNN(ctx context.Context, in *fitInput) ([]byte, error) {
	if k := in.params["k"].(int); k > len(in.x) {
		return nil, invalidf("k is %d but the model is fitted on %d rows", k, len(in.x))
	}
	out := make([]byte, 0, len(in.x)*(8*in.dims+8))
	for _, row := range in.x {
		for _, v := range row {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	}
	for _, c := range in.y {
		out = binary.LittleEndian.AppendUint16(out, uint16(c))
	}
	for _, v := range in.v {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return out, nil
}

// knnModel predicts by golearn's distance functions, but ranks and votes
// itself: golearn's KNNClassifier.Predict breaks ties between equally
// distant rows and between equal votes in map order, so the same model
// could predict two classes for one row. Here neighbours are ranked by
// distance then training order (a distance that is NaN, cosine's for a
// zero row, ranks last), the k nearest vote, and a tie goes to the tied
// class whose member ranks first. Probabilities are the vote shares. A
// regression predicts the mean of the k nearest rows' targets, summed
// nearest first (scikit-learn's KNeighborsRegressor, uniform weights).
type knnModel struct {
	k        int
	distance pairwise.PairwiseDistanceFunc
	rows     []*mat.Dense
	labels   []int     // classification
	values   []float64 // regression
	classes  int
}

type neighbour struct {
	d   float64
	row int
	sum float64 // knnPredictor: what a row's sum must not exceed to rank before this one (Euclidean: d², the sum of squares it is the root of)
}

func (m *knnModel) predict(x []float64) outcome {
	q := mat.NewDense(1, len(x), x)
	ns := make([]neighbour, len(m.rows))
	for i, r := range m.rows {
		d := m.distance.Distance(q, r)
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		ns[i] = neighbour{d: d, row: i}
	}
	slices.SortFunc(ns, func(a, b neighbour) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.row, b.row))
	})
	if m.values != nil {
		sum := 0.0
		for _, n := range ns[:m.k] {
			sum += m.values[n.row]
		}
		return outcome{value: sum / float64(m.k)}
	}
	votes := make([]float64, m.classes)
	first := make([]int, m.classes) // rank of each class's nearest voter
	for rank, n := range ns[:m.k] {
		c := m.labels[n.row]
		if votes[c] == 0 {
			first[c] = rank
		}
		votes[c]++
	}
	best := -1
	for c, v := range votes {
		if v > 0 && (best < 0 || v > votes[best] || v == votes[best] && first[c] < first[best]) {
			best = c
		}
	}
	for c := range votes {
		votes[c] /= float64(m.k)
	}
	return outcome{class: best, probs: votes}
}

func loadKNN(h *header, payload []byte) (predictor, error) {
	if h.KNN == nil {
		return nil, fmt.Errorf("knn: no settings")
	}
	s := h.KNN
	target := 2 // bytes of a row's class, or of its value
	if h.Task == model.TaskRegression {
		target = 8
	}
	// Divided rather than multiplied, so corrupt sizes cannot overflow.
	if h.Dims < 1 || h.Dims > len(payload)/8 || s.K < 1 || s.Rows < s.K ||
		len(payload)%(8*h.Dims+target) != 0 || s.Rows != len(payload)/(8*h.Dims+target) {
		return nil, fmt.Errorf("knn: %d bytes for %d rows of %d columns, k %d", len(payload), s.Rows, h.Dims, s.K)
	}
	m := &knnModel{k: s.K, classes: len(h.Classes), rows: make([]*mat.Dense, s.Rows)}
	switch s.Distance {
	case "euclidean":
		m.distance = pairwise.NewEuclidean()
	case "manhattan":
		m.distance = pairwise.NewManhattan()
	case "cosine":
		m.distance = pairwise.NewCosine()
	default:
		return nil, fmt.Errorf("knn: unknown distance %q", s.Distance)
	}
	values := make([]float64, s.Rows*h.Dims)
	for i := range values {
		values[i] = math.Float64frombits(binary.LittleEndian.Uint64(payload[8*i:]))
		if math.IsNaN(values[i]) || math.IsInf(values[i], 0) {
			return nil, fmt.Errorf("knn: a value that is not finite")
		}
	}
	targets := payload[8*len(values):]
	for i := range m.rows {
		m.rows[i] = mat.NewDense(1, h.Dims, values[i*h.Dims:(i+1)*h.Dims])
	}
	if h.Task == model.TaskRegression {
		m.values = make([]float64, s.Rows)
		for i := range m.values {
			if m.values[i] = math.Float64frombits(binary.LittleEndian.Uint64(targets[8*i:])); !learn.Finite(m.values[i]) {
				return nil, fmt.Errorf("knn: a target that is not finite")
			}
		}
		return m, nil
	}
	m.labels = make([]int, s.Rows)
	for i := range m.rows {
		m.labels[i] = int(binary.LittleEndian.Uint16(targets[2*i:]))
		if m.labels[i] >= m.classes {
			return nil, fmt.Errorf("knn: row %d of class %d, of %d", i, m.labels[i], m.classes)
		}
	}
	return m, nil
}
