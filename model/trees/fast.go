package trees

import (
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// LoadPredictor loads an artifact of this package as the predictor that
// serves it: a CodeCorrupt error for bytes that are not one, never a
// panic (FuzzLoadPredictor). The predictor computes what the reference
// (forestModel.predict) computes, in the same floating-point order, so it
// returns exactly its classes, probabilities and values
// (TestFastPredictorsMatchTheReference), allocating nothing per call.
func LoadPredictor(artifact []byte) (model.Predictor, error) {
	env, m, err := load(artifact)
	if err != nil {
		return nil, err
	}
	return compile(env, m), nil
}

// predictor serves a model of this package from its trees laid out as
// binTrees.
type predictor struct {
	learn.Base
	bins     *binTrees
	kind     string
	width    int
	outputs  int
	baseline []float64
}

func compile(env *learn.Envelope, m *forestModel) *predictor {
	p := &predictor{Base: learn.NewBase(env.Task, env.Features, env.Encodings, env.Classes),
		kind: m.kind, width: m.width, outputs: m.outputs, baseline: m.baseline, bins: newBinTrees(m, m.thresholds)}
	p.Size += p.bins.sizeBytes()
	return p
}

// Missing implements model.Predictor: gradient boosting takes missing
// values, NaN for a number and "" for a string (none of its levels).
func (p *predictor) Missing(int) bool { return p.kind == kindBoost }

// Predict implements model.Predictor.
func (p *predictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	var onStack [stackCodes]uint8
	codes := onStack[:min(p.bins.leafCol+1, stackCodes)]
	if p.bins.leafCol+1 > stackCodes {
		pooled := p.bins.pool.Get().(*[]uint8)
		defer p.bins.pool.Put(pooled)
		codes = *pooled
	}
	var sum, probs [maxOutputs]float64
	for r := range in.Rows {
		p.bins.code(p.Enc.Row(in, r, buf), codes)
		if p.kind == kindBoost {
			p.boost(codes, sum[:p.outputs], probs[:len(p.Labels)], out, r)
			continue
		}
		p.average(codes, sum[:p.width], out, r)
	}
}

// maxOutputs bounds the sums kept on the stack: a leaf's width and a
// boosted model's outputs are at most model.MaxClasses (readModel).
const maxOutputs = model.MaxClasses

// addGroup adds the leaf values of a group of lanes trees to sum, as a
// tree of pairs (the sums of a group wait on each other three deep, not
// eight).
func addGroup(sum, values []float64, at [lanes]int32) {
	for k := range sum {
		a := (values[int(at[0])+k] + values[int(at[1])+k]) + (values[int(at[2])+k] + values[int(at[3])+k])
		b := (values[int(at[4])+k] + values[int(at[5])+k]) + (values[int(at[6])+k] + values[int(at[7])+k])
		sum[k] += a + b
	}
}

// addLeaf adds one leaf's values to sum.
func addLeaf(sum, values []float64, at int32) {
	for k, v := range values[at : int(at)+len(sum) : int(at)+len(sum)] {
		sum[k] += v
	}
}

// average predicts as a tree or forest does: the mean of the trees' leaf
// values, summed as forestModel.predict sums them.
func (p *predictor) average(codes []uint8, sum []float64, out *model.Output, r int) {
	clear(sum)
	t, n := 0, len(p.bins.roots)
	for ; t+lanes <= n; t += lanes {
		addGroup(sum, p.bins.values, p.bins.walk(t, codes))
	}
	for ; t < n; t++ {
		addLeaf(sum, p.bins.values, p.bins.leaf(t, codes))
	}
	trees := float64(n)
	for k := range sum {
		sum[k] /= trees
	}
	if p.Kind == model.TaskRegression {
		out.Values[r] = sum[0]
		return
	}
	out.Classes[r] = int32(learn.Argmax(sum))
	if probs := p.ProbsRow(out, r); probs != nil {
		copy(probs, sum)
	}
}

// boost predicts as gradient boosting does: the baseline plus each tree's
// leaf value, tree t adding to output t % outputs, in tree order.
func (p *predictor) boost(codes []uint8, raw, probs []float64, out *model.Output, r int) {
	copy(raw, p.baseline)
	values, k := p.bins.values, p.outputs
	t, n, o := 0, len(p.bins.roots), 0 // o is tree t's output, t % k
	for ; t+lanes <= n; t += lanes {
		for _, at := range p.bins.walk(t, codes) {
			raw[o] += values[at]
			if o++; o == k {
				o = 0
			}
		}
	}
	for ; t < n; t++ {
		raw[o] += values[p.bins.leaf(t, codes)]
		if o++; o == k {
			o = 0
		}
	}
	if p.Kind == model.TaskRegression {
		out.Values[r] = raw[0]
		return
	}
	scoresToProbs(raw, probs)
	out.Classes[r] = int32(learn.Argmax(probs))
	if dst := p.ProbsRow(out, r); dst != nil {
		copy(dst, probs)
	}
}
