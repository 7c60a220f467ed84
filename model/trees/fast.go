package trees

import (
	"math"
	"unsafe"

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

// flatNode is a node of flattened trees. A split sends x to left when
// x[col] ≤ split (or, for NaN, unless the missing bit is set) and to
// left+1 otherwise: its children are side by side, so the step to the next
// node is an addition, not a load. A leaf sends every row to itself (col
// 0, split +Inf, no missing bit: neither x[0] > +Inf nor NaN moves it), so
// walking a tree a fixed number of steps, at least its depth, ends on the
// leaf of x whatever the length of its path, without a branch on the
// data.
type flatNode struct {
	split float64
	col   uint32 // the column; missingRight, when set, sends NaN right
	left  int32
}

const missingRight = 1 << 31

// flatTrees holds trees as one array of nodes.
type flatTrees struct {
	nodes []flatNode
	value []int32 // each node's offset in values: a leaf's first value, -1 for a split
	roots []int32
	depth []int32 // each tree's depth
	// values are every tree's leaf values, a leaf's width of them each.
	values []float64
}

// add appends t breadth first, so each split's children are side by side.
func (f *flatTrees) add(t *tree, width int) {
	type pending struct{ node, at int32 }
	base := int32(len(f.values))
	f.values = append(f.values, t.Values...)
	root := int32(len(f.nodes))
	f.nodes, f.value = append(f.nodes, flatNode{}), append(f.value, -1)
	queue := []pending{{0, root}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		n := &t.Nodes[p.node]
		if n.Feature < 0 {
			f.nodes[p.at] = flatNode{split: math.Inf(1), left: p.at}
			f.value[p.at] = base + n.Leaf*int32(width)
			continue
		}
		kids := int32(len(f.nodes))
		col := uint32(n.Feature)
		if n.MissingRight {
			col |= missingRight
		}
		f.nodes[p.at] = flatNode{split: n.Threshold, col: col, left: kids}
		f.nodes, f.value = append(f.nodes, flatNode{}, flatNode{}), append(f.value, -1, -1)
		queue = append(queue, pending{n.Left, kids}, pending{n.Right, kids + 1})
	}
	f.roots = append(f.roots, root)
	f.depth = append(f.depth, t.depth)
}

// step returns the node x goes to from node i.
func (f *flatTrees) step(i int32, x []float64) int32 {
	n := &f.nodes[i]
	v := x[n.col&^missingRight]
	return n.left + (b2i(v > n.split) | b2i(v != v)&int32(n.col>>31))
}

// b2i is 1 for true; the compiler makes it a flag, not a branch.
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// lanes is how many trees are walked together: eight independent chains
// of loads keep the processor busy where one would wait on each.
const lanes = 8

// walk finds the leaves x reaches in trees t..t+lanes-1 and returns their
// value offsets. Trees of at most maxLockstep depth are walked their
// group's depth in lockstep; deeper ones until every lane is on a leaf,
// checked every fourth step.
func (f *flatTrees) walk(t int, x []float64) [lanes]int32 {
	r := f.roots[t : t+lanes : t+lanes]
	i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
	d := f.depth[t]
	for _, dd := range f.depth[t+1 : t+lanes] {
		d = max(d, dd)
	}
	steps := d
	if d > maxLockstep {
		steps = 4
	}
	for {
		for range steps {
			i0 = f.step(i0, x)
			i1 = f.step(i1, x)
			i2 = f.step(i2, x)
			i3 = f.step(i3, x)
			i4 = f.step(i4, x)
			i5 = f.step(i5, x)
			i6 = f.step(i6, x)
			i7 = f.step(i7, x)
		}
		v := [lanes]int32{f.value[i0], f.value[i1], f.value[i2], f.value[i3], f.value[i4], f.value[i5], f.value[i6], f.value[i7]}
		if d <= maxLockstep || (v[0]|v[1]|v[2]|v[3]|v[4]|v[5]|v[6]|v[7]) >= 0 {
			return v
		}
	}
}

// maxLockstep is the deepest group walked its depth without checking.
const maxLockstep = 16

// leaf returns the value offset of the leaf x reaches in tree t.
func (f *flatTrees) leaf(t int, x []float64) int32 {
	i := f.roots[t]
	for f.value[i] < 0 {
		i = f.step(i, x)
	}
	return f.value[i]
}

func (f *flatTrees) sizeBytes() int64 {
	return int64(len(f.nodes))*int64(unsafe.Sizeof(flatNode{})+4) + 8*int64(len(f.roots)+len(f.values))
}

// predictor serves a model of this package: a forest or a tree from
// binTrees, boosting (which takes missing values) and models of more
// columns than binTrees serves from flatTrees.
type predictor struct {
	learn.Base
	trees    flatTrees
	bins     *binTrees
	kind     string
	width    int
	outputs  int
	baseline []float64
}

func compile(env *learn.Envelope, m *forestModel) *predictor {
	p := &predictor{Base: learn.NewBase(env.Task, env.Features, env.Encodings, env.Classes),
		kind: m.kind, width: m.width, outputs: m.outputs, baseline: m.baseline}
	if m.kind != kindBoost && env.Dims <= maxBinCols {
		p.bins = newBinTrees(m, m.thresholds)
		p.Size += p.bins.sizeBytes()
		return p
	}
	for i := range m.trees {
		p.trees.add(&m.trees[i], m.width)
	}
	p.Size += p.trees.sizeBytes()
	return p
}

// Missing implements model.Predictor: gradient boosting takes missing
// values, NaN for a number and "" for a string (none of its levels).
func (p *predictor) Missing() bool { return p.kind == kindBoost }

// Predict implements model.Predictor.
func (p *predictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	var sum, probs [maxOutputs]float64
	if p.bins != nil {
		var stack [stackCodes]uint8
		codes := stack[:min(p.bins.leafCol+1, stackCodes)]
		if p.bins.leafCol+1 > stackCodes {
			pooled := p.bins.pool.Get().(*[]uint8)
			defer p.bins.pool.Put(pooled)
			codes = *pooled
		}
		for r := range in.Rows {
			p.bins.code(p.Enc.Row(in, r, buf), codes)
			p.averageBins(codes, sum[:p.width], out, r)
		}
		return
	}
	for r := range in.Rows {
		x := p.Enc.Row(in, r, buf)
		if p.kind == kindBoost {
			p.boost(x, sum[:p.outputs], probs[:len(p.Labels)], out, r)
			continue
		}
		p.average(x, sum[:p.width], out, r)
	}
}

// maxOutputs bounds the sums kept on the stack: a leaf's width and a
// boosted model's outputs are at most model.MaxClasses (readModel).
const maxOutputs = model.MaxClasses

// average predicts as a tree or forest does: the mean of the trees' leaf
// values, summed as forestModel.predict sums them.
func (p *predictor) average(x []float64, sum []float64, out *model.Output, r int) {
	clear(sum)
	t, n := 0, len(p.trees.roots)
	for ; t+lanes <= n; t += lanes {
		addGroup(sum, p.trees.values, p.trees.walk(t, x))
	}
	for ; t < n; t++ {
		addLeaf(sum, p.trees.values, p.trees.leaf(t, x))
	}
	p.finishAverage(sum, n, out, r)
}

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

// averageBins is average of a coded row, from binTrees.
func (p *predictor) averageBins(codes []uint8, sum []float64, out *model.Output, r int) {
	clear(sum)
	t, n := 0, len(p.bins.roots)
	for ; t+lanes <= n; t += lanes {
		addGroup(sum, p.bins.values, p.bins.walk(t, codes))
	}
	for ; t < n; t++ {
		addLeaf(sum, p.bins.values, p.bins.leaf(t, codes))
	}
	p.finishAverage(sum, n, out, r)
}

// finishAverage divides the sums of n trees and writes row r's answer.
func (p *predictor) finishAverage(sum []float64, n int, out *model.Output, r int) {
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
func (p *predictor) boost(x []float64, raw, probs []float64, out *model.Output, r int) {
	copy(raw, p.baseline)
	values, k := p.trees.values, p.outputs
	t, n, o := 0, len(p.trees.roots), 0 // o is tree t's output, t % k
	for ; t+lanes <= n; t += lanes {
		for _, at := range p.trees.walk(t, x) {
			raw[o] += values[at]
			if o++; o == k {
				o = 0
			}
		}
	}
	for ; t < n; t++ {
		raw[o] += values[p.trees.leaf(t, x)]
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
