package golearn

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sjwhitworth/golearn/linear_models"
)

// payloadLiblinear is the payload of a logistic regression: liblinear's
// own model file, as golearn's linear_models.Export writes it (and
// linear_models.Load reads it).
const payloadLiblinear = "liblinear-model/1"

// fitLogistic fits a logistic regression with golearn's liblinear
// binding, called directly rather than through golearn's
// LogisticRegression, which keeps the fitted model unexported (so it
// cannot be saved) and predicts through a conversion that drops every
// feature value that is not positive. Each row gets a constant 1 feature
// as its intercept: golearn gives liblinear no bias term (its own bias
// option writes invalid feature indexes). The classes are the labels
// 0..n-1 of liblinear's numeric class.
func fitLogistic(ctx context.Context, in *fitInput) ([]byte, error) {
	solver := linear_models.L2R_LR
	if in.params["penalty"] == "l1" {
		solver = linear_models.L1R_LR
	}
	x := make([][]float64, len(in.x))
	y := make([]float64, len(in.x))
	for i, row := range in.x {
		x[i] = append(slices.Clip(row), 1)
		y[i] = float64(in.y[i])
	}
	var payload []byte
	err := golearnCall("fit a logistic regression", func() error {
		liblinearMu.Lock()
		defer liblinearMu.Unlock()
		reseedCRand()
		param := linear_models.NewParameter(solver, in.params["C"].(float64), in.params["eps"].(float64))
		m := linear_models.Train(linear_models.NewProblem(x, y, 0), param)
		var err error
		payload, err = viaTempFile(func(path string) error { return linear_models.Export(m, path) })
		return err
	})
	return payload, err
}

// logisticModel predicts as liblinear's predict_probability does for a
// logistic regression, from the weights of its model file.
type logisticModel struct {
	labels  []int       // liblinear's label order → class index
	w       [][]float64 // w[j][i]: weight of column j (the last: the intercept) in decision i
	classes int
}

func (m *logisticModel) predict(x []float64) outcome {
	dec := make([]float64, len(m.w[0]))
	// liblinear sums over the row's non-zero features, in order.
	for j, v := range x {
		if v != 0 {
			for i := range dec {
				dec[i] += m.w[j][i] * v
			}
		}
	}
	for i := range dec {
		dec[i] += m.w[len(x)][i]
	}
	probs := make([]float64, m.classes)
	switch len(m.labels) {
	case 1:
		probs[m.labels[0]] = 1
		return outcome{class: m.labels[0], probs: probs}
	case 2:
		p := 1 / (1 + math.Exp(-dec[0]))
		probs[m.labels[0]], probs[m.labels[1]] = p, 1-p
		if dec[0] > 0 {
			return outcome{class: m.labels[0], probs: probs}
		}
		return outcome{class: m.labels[1], probs: probs}
	}
	total := 0.0
	for i, d := range dec {
		dec[i] = 1 / (1 + math.Exp(-d))
		total += dec[i]
	}
	for i, p := range dec {
		probs[m.labels[i]] = p / total
	}
	return outcome{class: m.labels[learn.Argmax(dec)], probs: probs}
}

// loadLogistic parses liblinear's model file strictly: it is read here
// rather than by liblinear's load_model, C code that trusts its input.
func loadLogistic(h *header, payload []byte) (predictor, error) {
	sc := bufio.NewScanner(bytes.NewReader(payload))
	sc.Buffer(nil, 1<<20)
	line := func(key string) ([]string, error) {
		if !sc.Scan() {
			return nil, fmt.Errorf("liblinear: the model ends before %q", key)
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != key {
			return nil, fmt.Errorf("liblinear: %.40q where %q belongs", sc.Text(), key)
		}
		return f[1:], nil
	}
	f, err := line("solver_type")
	if err != nil || len(f) != 1 || f[0] != "L2R_LR" && f[0] != "L1R_LR" {
		return nil, fmt.Errorf("liblinear: not a logistic regression (%v, %v)", f, err)
	}
	m := &logisticModel{classes: len(h.Classes)}
	f, err = line("nr_class")
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.Join(f, " "))
	if err != nil || n < 1 || n > m.classes {
		return nil, fmt.Errorf("liblinear: nr_class %v", f)
	}
	if f, err = line("label"); err != nil || len(f) != n {
		return nil, fmt.Errorf("liblinear: %d labels for %d classes (%v)", len(f), n, err)
	}
	for _, s := range f {
		l, err := strconv.Atoi(s)
		if err != nil || l < 0 || l >= m.classes || slices.Contains(m.labels, l) {
			return nil, fmt.Errorf("liblinear: label %q", s)
		}
		m.labels = append(m.labels, l)
	}
	// golearn's binding declares one feature more than it passes: the
	// columns, the intercept column, and an unused last one.
	if f, err = line("nr_feature"); err != nil || len(f) != 1 || f[0] != strconv.Itoa(h.Dims+2) {
		return nil, fmt.Errorf("liblinear: nr_feature %v for %d columns (%v)", f, h.Dims, err)
	}
	if f, err = line("bias"); err != nil || len(f) != 1 || f[0] != "-1" {
		return nil, fmt.Errorf("liblinear: bias %v (%v)", f, err)
	}
	if f, err = line("w"); err != nil || len(f) != 0 {
		return nil, fmt.Errorf("liblinear: no weights (%v)", err)
	}
	decisions := n
	if n == 2 {
		decisions = 1
	}
	for range h.Dims + 2 {
		if !sc.Scan() {
			return nil, fmt.Errorf("liblinear: the weights end early")
		}
		f := strings.Fields(sc.Text())
		if len(f) != decisions {
			return nil, fmt.Errorf("liblinear: %d weights in a row of %d", len(f), decisions)
		}
		row := make([]float64, decisions)
		for i, s := range f {
			if row[i], err = strconv.ParseFloat(s, 64); err != nil || math.IsNaN(row[i]) || math.IsInf(row[i], 0) {
				return nil, fmt.Errorf("liblinear: weight %.30q", s)
			}
		}
		m.w = append(m.w, row)
	}
	if sc.Scan() || sc.Err() != nil {
		return nil, fmt.Errorf("liblinear: more after the weights (%v)", sc.Err())
	}
	return m, nil
}
