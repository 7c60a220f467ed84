package golearn

import (
	"context"
	"encoding/json"
	"fmt"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"math"
	"slices"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/naive"
)

// payloadNaiveBayes is the payload of a naive Bayes model: the file
// golearn's BernoulliNBClassifier.Save writes (a gzipped tar; its Load
// reads it back from a path), with its attribute lists in a fixed order
// (see canonicalTar).
const payloadNaiveBayes = "golearn-bernoulli-nb/1"

// fitNaiveBayes fits golearn's Bernoulli naive Bayes on the binary
// encoding of the features.
func fitNaiveBayes(ctx context.Context, in *fitInput) ([]byte, error) {
	nb := naive.NewBernoulliNBClassifier()
	var payload []byte
	err := golearnCall("fit a Bernoulli naive Bayes", func() error {
		if err := nb.Fit(binaryInstances(in.x, in.y, in.classes, learn.AllRows(len(in.x)))); err != nil {
			return err
		}
		saved, err := viaTempFile(nb.Save)
		if err != nil {
			return err
		}
		payload, err = canonicalTar(saved)
		return err
	})
	return payload, err
}

// naiveBayesModel predicts as golearn's BernoulliNBClassifier.PredictOne
// does, with the same arithmetic in the same order, but takes the first
// class in class order on a tie (golearn: map order). Probabilities are
// the normalized posteriors (golearn only returns the class).
type naiveBayesModel struct {
	count []int       // training rows per class; 0: absent from training
	cond  [][]float64 // cond[c][f]: golearn's P(feature f | class c)
	total int
}

func (m *naiveBayesModel) predict(x []float64) outcome {
	scores := make([]float64, len(m.count))
	best := -1
	for c, n := range m.count {
		if n == 0 {
			continue
		}
		s := math.Log(float64(n) / float64(m.total))
		for f, p := range m.cond[c] {
			switch {
			case x[f] > 0:
				s += math.Log(p)
			case p == 1:
				s += math.Log(1 / float64(n+1))
			default:
				s += math.Log(1 - p)
			}
		}
		scores[c] = s
		if best < 0 || s > scores[best] {
			best = c
		}
	}
	probs := make([]float64, len(m.count))
	sum := 0.0
	for c, n := range m.count {
		if n > 0 {
			probs[c] = math.Exp(scores[c] - scores[best])
			sum += probs[c]
		}
	}
	for c := range probs {
		probs[c] /= sum
	}
	return outcome{class: best, probs: probs}
}

// loadNaiveBayes reads golearn's naive Bayes file itself, with limits:
// golearn's reader needs a file path and trusts the file.
func loadNaiveBayes(h *header, payload []byte) (predictor, error) {
	list, err := untar(payload)
	if err != nil {
		return nil, fmt.Errorf("naive bayes: %w", err)
	}
	files := byName(list)
	if string(files["CLS_MANIFEST"]) != base.SerializationFormatVersion {
		return nil, fmt.Errorf("naive bayes: not a golearn model file")
	}
	var counts map[string]int
	var cond map[string][]float64
	if err := json.Unmarshal(files["CLASS_INSTANCES"], &counts); err != nil {
		return nil, fmt.Errorf("naive bayes: class counts: %w", err)
	}
	if err := json.Unmarshal(files["COND_MAP"], &cond); err != nil {
		return nil, fmt.Errorf("naive bayes: probabilities: %w", err)
	}
	features, ok1 := u64(files["NUM_FEATURES"])
	total, ok2 := u64(files["NUM_TRAINING_INSTANCES"])
	if !ok1 || !ok2 || features != uint64(h.Dims) || total < 1 || total > 1<<40 {
		return nil, fmt.Errorf("naive bayes: %d features, %d rows for %d columns", features, total, h.Dims)
	}
	if err := checkAttributeOrder(files, h.Dims); err != nil {
		return nil, err
	}
	m := &naiveBayesModel{count: make([]int, len(h.Classes)), cond: make([][]float64, len(h.Classes)), total: int(total)}
	seen := 0
	for c, name := range h.Classes {
		n, ok := counts[name]
		if !ok {
			continue
		}
		p := cond[name]
		if n < 1 || n > m.total || len(p) != h.Dims || slices.ContainsFunc(p, func(f float64) bool { return !(f > 0 && f <= 1) }) {
			return nil, fmt.Errorf("naive bayes: class %q: %d rows, %d probabilities", name, n, len(p))
		}
		m.count[c], m.cond[c] = n, p
		seen++
	}
	if seen == 0 || seen != len(counts) || len(cond) != len(counts) {
		return nil, fmt.Errorf("naive bayes: %d classes known of %d counted", seen, len(counts))
	}
	return m, nil
}

// checkAttributeOrder checks that golearn's feature i is encoded column i,
// as the instances this package builds make it.
func checkAttributeOrder(files map[string][]byte, dims int) error {
	n, ok := u64(files["TRAINING_ATTRIBUTES/ATTR_COUNT"])
	if !ok || n != uint64(dims) {
		return fmt.Errorf("naive bayes: %d attributes for %d columns", n, dims)
	}
	for i := range dims {
		var a struct {
			Name string `json:"name"`
		}
		key := fmt.Sprintf("TRAINING_ATTRIBUTES/%d", i)
		if err := json.Unmarshal(files[key], &a); err != nil || a.Name != attrName(i) {
			return fmt.Errorf("naive bayes: attribute %d is %q, not %s (%v)", i, a.Name, attrName(i), err)
		}
	}
	return nil
}
