package trees

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Early stopping, as scikit-learn's HistGradientBoosting does it.
const (
	earlyStoppingRows = 10000 // "auto" stops early past this many training rows
	stoppingTol       = 1e-7  // the least improvement of the validation loss that counts
	minHessian        = 1e-3  // the least hessian a side of a split may have
)

// boostLearner fits gradient_boosting.
type boostLearner struct{}

// Units implements learn.Learner: the iterations at most.
func (boostLearner) Units(params map[string]any) int { return params["iterations"].(int) }

// boostParams are a boosting's settings.
type boostParams struct {
	iterations, maxLeaves, maxDepth, minLeaf, patience int
	rate, l2                                           float64
}

// Fit implements learn.Learner. With early stopping, a stratified share
// of the training rows (validation_fraction) is held out and scored
// after every iteration; the bins are cut on the rest, which the trees
// are grown on.
func (boostLearner) Fit(ctx context.Context, f *learn.Fit) (*learn.Fitted, error) {
	params := f.Spec.Params
	p := boostParams{
		iterations: params["iterations"].(int), maxLeaves: params["max_leaf_nodes"].(int),
		maxDepth: params["max_depth"].(int), minLeaf: params["min_samples_leaf"].(int),
		patience: params["n_iter_no_change"].(int), rate: params["learning_rate"].(float64), l2: params["l2"].(float64),
	}
	fd := encode(f)
	rng := learn.NewRand(f.Spec.Validation.Seed, learn.StreamFit+uint64(f.Index))
	var train, held []int // indexes into f.Rows
	if es := params["early_stopping"]; es == "on" || es == "auto" && len(f.Rows) > earlyStoppingRows {
		train, held = validationSplit(f, params["validation_fraction"].(float64), rng)
	} else {
		train = learn.AllRows(len(f.Rows))
	}
	rows := func(at []int) ([][]float64, []int) {
		x, r := make([][]float64, len(at)), make([]int, len(at))
		for i, k := range at {
			x[i], r[i] = fd.x[k], f.Rows[k]
		}
		return x, r
	}
	xTrain, trainRows := rows(train)
	fd.data.b = binColumns(xTrain, params["max_bins"].(int))
	fd.data.y, fd.data.v = targets(f, trainRows)
	b := &booster{d: fd.data, p: p, threads: f.Threads, loss: lossFor(f.Spec.Task, len(f.Data.Classes))}
	if len(held) > 0 {
		xHeld, heldRows := rows(held)
		b.held = binWith(fd.data.b, xHeld)
		b.heldY, b.heldV = targets(f, heldRows)
	}
	m, err := b.run(ctx, f.Progress)
	if err != nil {
		return nil, err
	}
	m.task, m.classes, m.kind, m.width = f.Spec.Task, len(f.Data.Classes), kindBoost, 1
	fitted := &learn.Fitted{Iterations: len(m.trees) / m.outputs, Importances: b.importances(fd.data.groups)}
	if err := fd.finish(m, fitted); err != nil {
		return nil, err
	}
	return fitted, nil
}

// validationSplit holds out fraction of the fit's rows (indexes into
// f.Rows), of each class alike for a classification: a class's rows are
// shuffled and the first round(fraction·count) of them held out.
func validationSplit(f *learn.Fit, fraction float64, rng *rand.Rand) (train, held []int) {
	n := len(f.Rows)
	order := learn.Permutation(rng, n)
	isHeld := make([]bool, n)
	if f.Data.Y != nil {
		quota := make([]int, len(f.Data.Classes))
		for _, k := range order {
			quota[f.Data.Y[f.Rows[k]]]++
		}
		for c := range quota {
			quota[c] = int(math.Round(fraction * float64(quota[c])))
		}
		for _, k := range order {
			if c := f.Data.Y[f.Rows[k]]; quota[c] > 0 {
				quota[c]--
				isHeld[k] = true
			}
		}
	} else {
		for _, k := range order[:int(math.Ceil(fraction*float64(n)))] {
			isHeld[k] = true
		}
	}
	for k := range n {
		if isHeld[k] {
			held = append(held, k)
		} else {
			train = append(train, k)
		}
	}
	if len(train) == 0 {
		return learn.AllRows(n), nil
	}
	return train, held
}

// binWith bins rows with the thresholds of b.
func binWith(b *binned, x [][]float64) *binned {
	out := &binned{rows: len(x), codes: make([][]uint8, len(b.codes)), thresholds: b.thresholds}
	for j := range b.codes {
		codes := make([]uint8, len(x))
		for i, row := range x {
			codes[i] = binOf(b.thresholds[j], row[j])
		}
		out.codes[j] = codes
	}
	return out
}

// booster runs one boosting.
type booster struct {
	d       *cartData
	p       boostParams
	threads int
	loss    loss
	held    *binned // the validation rows, or nil without early stopping
	heldY   []int32
	heldV   []float64
	gains   []float64 // each column's split gains, summed
	mu      sync.Mutex
}

// run boosts until the iterations are done or early stopping stops.
func (b *booster) run(ctx context.Context, progress func(int)) (*forestModel, error) {
	k, n := b.loss.outputs, b.d.b.rows
	m := &forestModel{outputs: k, baseline: b.loss.baseline(b.d.y, b.d.v)}
	b.gains = make([]float64, len(b.d.b.codes))
	raw := make([][]float64, k) // raw[output][row]
	grad, hess := make([][]float64, k), make([][]float64, k)
	for o := range k {
		raw[o], grad[o], hess[o] = make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range raw[o] {
			raw[o][i] = m.baseline[o]
		}
	}
	var heldRaw [][]float64
	var scores []float64
	if b.held != nil {
		heldRaw = make([][]float64, k)
		for o := range heldRaw {
			heldRaw[o] = make([]float64, b.held.rows)
			for i := range heldRaw[o] {
				heldRaw[o][i] = m.baseline[o]
			}
		}
		scores = append(scores, -b.loss.mean(heldRaw, b.heldY, b.heldV))
	}
	workers := max(1, min(b.threads, k))
	growers := make([]*boostGrower, k)
	for o := range growers {
		growers[o] = newBoostGrower(b, max(1, b.threads/workers))
	}
	for it := range b.p.iterations {
		if err := learn.Stopped(ctx); err != nil {
			return nil, err
		}
		b.loss.gradients(raw, b.d.y, b.d.v, grad, hess)
		trees, errs := make([]tree, k), make([]error, k)
		var wg sync.WaitGroup
		next := make(chan int, k)
		for o := range k {
			next <- o
		}
		close(next)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for o := range next {
					if trees[o], errs[o] = growers[o].grow(ctx, grad[o], hess[o], raw[o]); errs[o] == nil && heldRaw != nil {
						growers[o].predictHeld(&trees[o], heldRaw[o])
					}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		m.trees = append(m.trees, trees...)
		progress(it + 1)
		if heldRaw != nil {
			scores = append(scores, -b.loss.mean(heldRaw, b.heldY, b.heldV))
			if shouldStop(scores, b.p.patience) {
				break
			}
		}
	}
	return m, nil
}

// shouldStop reports whether the last patience scores (higher is better)
// all failed to beat the one before them by stoppingTol (scikit-learn's
// _should_stop).
func shouldStop(scores []float64, patience int) bool {
	if len(scores) < patience+1 {
		return false
	}
	reference := scores[len(scores)-patience-1] + stoppingTol
	for _, s := range scores[len(scores)-patience:] {
		if s > reference {
			return false
		}
	}
	return true
}

// addGain records a split's gain on a column.
func (b *booster) addGain(col int, gain float64) {
	b.mu.Lock()
	b.gains[col] += gain
	b.mu.Unlock()
}

// importances returns each input feature's share of the split gains, a
// string feature's one-hot columns added up.
func (b *booster) importances(groups [][]int) []float64 {
	out := make([]float64, len(groups))
	total := 0.0
	for i, cols := range groups {
		for _, j := range cols {
			out[i] += b.gains[j]
		}
		total += out[i]
	}
	if total > 0 {
		for i := range out {
			out[i] /= total
		}
	}
	return out
}

// loss is a boosting's loss: squared error, binary log-loss or softmax
// (multinomial) log-loss, over outputs raw scores per row.
type loss struct {
	kind    int
	outputs int
	classes int
}

const (
	lossSquared = iota
	lossBinary
	lossSoftmax
)

func lossFor(task string, classes int) loss {
	switch {
	case task == model.TaskRegression:
		return loss{kind: lossSquared, outputs: 1}
	case classes == 2:
		return loss{kind: lossBinary, outputs: 1, classes: 2}
	}
	return loss{kind: lossSoftmax, outputs: classes, classes: classes}
}

// baseline is where the raw scores start: the mean target, the log-odds
// of the second class, or the log of each class's share (shares clipped
// away from 0 and 1, as scikit-learn does).
func (l loss) baseline(y []int32, v []float64) []float64 {
	if l.kind == lossSquared {
		sum := 0.0
		for _, t := range v {
			sum += t
		}
		return []float64{sum / float64(len(v))}
	}
	share := make([]float64, l.classes)
	for _, c := range y {
		share[c]++
	}
	const eps = 0x1p-52
	for c := range share {
		share[c] = min(max(share[c]/float64(len(y)), eps), 1-eps)
	}
	if l.kind == lossBinary {
		return []float64{math.Log(share[1] / (1 - share[1]))}
	}
	out := make([]float64, l.classes)
	for c := range out {
		out[c] = math.Log(share[c])
	}
	return out
}

// gradients fills the loss's gradients and hessians at the raw scores.
func (l loss) gradients(raw [][]float64, y []int32, v []float64, grad, hess [][]float64) {
	switch l.kind {
	case lossSquared:
		for i, r := range raw[0] {
			grad[0][i], hess[0][i] = r-v[i], 1
		}
	case lossBinary:
		for i, r := range raw[0] {
			p := sigmoid(r)
			grad[0][i], hess[0][i] = p-float64(y[i]), p*(1-p)
		}
	default:
		scores := make([]float64, l.outputs)
		probs := make([]float64, l.outputs)
		for i := range raw[0] {
			for o := range scores {
				scores[o] = raw[o][i]
			}
			scoresToProbs(scores, probs)
			for o, p := range probs {
				g := p
				if int32(o) == y[i] {
					g--
				}
				grad[o][i], hess[o][i] = g, p*(1-p)
			}
		}
	}
}

// mean is the loss's mean over rows at the raw scores: half the squared
// error, or the log-loss.
func (l loss) mean(raw [][]float64, y []int32, v []float64) float64 {
	sum := 0.0
	switch l.kind {
	case lossSquared:
		for i, r := range raw[0] {
			d := r - v[i]
			sum += d * d / 2
		}
	case lossBinary:
		for i, r := range raw[0] {
			// log(1 + e^r) - y·r, without overflow
			sum += max(r, 0) + math.Log1p(math.Exp(-math.Abs(r))) - float64(y[i])*r
		}
	default:
		for i := range raw[0] {
			top := raw[0][i]
			for o := range raw {
				top = max(top, raw[o][i])
			}
			s := 0.0
			for o := range raw {
				s += math.Exp(raw[o][i] - top)
			}
			sum += top + math.Log(s) - raw[y[i]][i]
		}
	}
	return sum / float64(len(raw[0]))
}
