package golearn

import (
	"cmp"
	"math"
	"slices"
	"unsafe"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// flatTrees holds trees as one array of 16-byte nodes. A split sends x
// to node left+1 when x[col] > split, else to node left, as tree.leaf
// does: its children are side by side, so the step to the next node is an
// addition, not a load. A leaf is a node that sends every row to itself
// (col 0, split +Inf, left itself: x[0] > +Inf is false for any x, NaN
// too), so walking a tree its depth's number of steps ends on the leaf of
// x whatever the length of its path, without a branch on the data.
type flatTrees struct {
	nodes   []flatNode
	leafNum []int32 // each node's leaf number, -1 for a split
	roots   []int32 // by ascending depth
	depth   []int32 // each tree's depth: the most splits on a path
}

type flatNode struct {
	split float64
	col   int32
	left  int32
}

// maxWalkDepth bounds the depth of the trees walked step by step to their
// depth; a deeper tree is walked until its leaf, as a path there may be
// far shorter than its deepest.
const maxWalkDepth = 24

// add appends t, whose leaves leaf numbers (≥ 0), breadth first.
func (f *flatTrees) add(t *tree, leaf func(n *treeNode) int32) {
	type pending struct {
		node  int   // in t
		at    int32 // in f
		level int32
	}
	root := int32(len(f.nodes))
	f.nodes, f.leafNum = append(f.nodes, flatNode{}), append(f.leafNum, -1)
	queue, deepest := []pending{{0, root, 0}}, int32(0)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		n := &t.nodes[p.node]
		deepest = max(deepest, p.level)
		if n.col < 0 {
			f.nodes[p.at] = flatNode{split: math.Inf(1), left: p.at}
			f.leafNum[p.at] = leaf(n)
			continue
		}
		kids := int32(len(f.nodes))
		f.nodes[p.at] = flatNode{split: n.split, col: int32(n.col), left: kids}
		if n.next[0] == n.next[1] {
			// One child takes every row: a split no row passes.
			f.nodes[p.at].split, f.nodes[p.at].col = math.Inf(1), 0
			f.nodes, f.leafNum = append(f.nodes, flatNode{}), append(f.leafNum, -1)
			queue = append(queue, pending{n.next[0], kids, p.level + 1})
			continue
		}
		f.nodes, f.leafNum = append(f.nodes, flatNode{}, flatNode{}), append(f.leafNum, -1, -1)
		queue = append(queue, pending{n.next[0], kids, p.level + 1}, pending{n.next[1], kids + 1, p.level + 1})
	}
	f.roots = append(f.roots, root)
	f.depth = append(f.depth, deepest)
}

// sortByDepth orders the trees by depth, so trees walked together have
// depths alike. The order of a forest's trees does not change its vote.
func (f *flatTrees) sortByDepth() {
	order := make([]int, len(f.roots))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(f.depth[a], f.depth[b]) })
	roots, depths := make([]int32, len(order)), make([]int32, len(order))
	for k, i := range order {
		roots[k], depths[k] = f.roots[i], f.depth[i]
	}
	f.roots, f.depth = roots, depths
}

// step returns the node x goes to from node i.
func (f *flatTrees) step(i int32, x []float64) int32 {
	n := &f.nodes[i]
	return n.left + b2i(x[n.col] > n.split)
}

// leaf returns the number of the leaf x reaches in tree t.
func (f *flatTrees) leaf(t int, x []float64) int32 {
	i := f.roots[t]
	if d := f.depth[t]; d <= maxWalkDepth {
		for range d {
			i = f.step(i, x)
		}
		return f.leafNum[i]
	}
	for f.leafNum[i] < 0 {
		i = f.step(i, x)
	}
	return f.leafNum[i]
}

// vote counts the leaf number of x in each tree into lanes, four counts
// the caller adds up. It walks eight trees at a time: eight independent
// chains of loads keep the processor busy where one would wait on each
// load (a step waits on the last). The counts are in four lanes so that
// the increments, mostly of one class, do not wait on one another either.
func (f *flatTrees) vote(x []float64, lanes *[4][maxFastClasses]int32) {
	t := 0
	for ; t+8 <= len(f.roots) && f.depth[t+7] <= maxWalkDepth; t += 8 {
		r := f.roots[t : t+8 : t+8]
		i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		for range f.depth[t+7] {
			i0 = f.step(i0, x)
			i1 = f.step(i1, x)
			i2 = f.step(i2, x)
			i3 = f.step(i3, x)
			i4 = f.step(i4, x)
			i5 = f.step(i5, x)
			i6 = f.step(i6, x)
			i7 = f.step(i7, x)
		}
		lanes[0][f.leafNum[i0]]++
		lanes[1][f.leafNum[i1]]++
		lanes[2][f.leafNum[i2]]++
		lanes[3][f.leafNum[i3]]++
		lanes[0][f.leafNum[i4]]++
		lanes[1][f.leafNum[i5]]++
		lanes[2][f.leafNum[i6]]++
		lanes[3][f.leafNum[i7]]++
	}
	for ; t < len(f.roots); t++ {
		lanes[t&3][f.leaf(t, x)]++
	}
}

// b2i is 1 for true; the compiler makes it a flag, not a branch.
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func (f *flatTrees) sizeBytes() int64 {
	return int64(len(f.nodes))*int64(unsafe.Sizeof(flatNode{})+4) + 8*int64(len(f.roots))
}

// forestPredictor predicts as forest does: a majority vote of the trees'
// leaf classes, the first class in class order on ties, the vote shares
// as probabilities. A leaf's number is its class.
type forestPredictor struct {
	learn.Base
	trees flatTrees
}

func newForestPredictor(b learn.Base, p forest) *forestPredictor {
	fp := &forestPredictor{Base: b}
	for _, t := range p.trees {
		fp.trees.add(t, func(n *treeNode) int32 { return int32(n.class) })
	}
	fp.trees.sortByDepth()
	fp.Size += fp.trees.sizeBytes()
	return fp
}

// Predict implements model.Predictor.
func (p *forestPredictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	classes := len(p.Labels)
	trees := float64(len(p.trees.roots))
	var lanes [4][maxFastClasses]int32
	for r := range in.Rows {
		x := p.Enc.Row(in, r, buf)
		for k := range lanes {
			clear(lanes[k][:classes])
		}
		p.trees.vote(x, &lanes)
		best, most := int32(0), int32(-1)
		for c := range int32(classes) {
			if v := lanes[0][c] + lanes[1][c] + lanes[2][c] + lanes[3][c]; v > most {
				best, most = c, v
			}
		}
		out.Classes[r] = best
		if probs := p.ProbsRow(out, r); probs != nil {
			for c := range probs {
				probs[c] = float64(lanes[0][c]+lanes[1][c]+lanes[2][c]+lanes[3][c]) / trees
			}
		}
	}
}

// treePredictor predicts as singleTree does: its leaf's class and class
// distribution. A leaf's number indexes leafClass and leafProbs.
type treePredictor struct {
	learn.Base
	trees     flatTrees
	leafClass []int32
	leafProbs []float64 // a row of len(classes) per leaf
}

func newTreePredictor(b learn.Base, p singleTree) *treePredictor {
	tp := &treePredictor{Base: b}
	tp.trees.add(p.t, func(n *treeNode) int32 {
		tp.leafClass = append(tp.leafClass, int32(n.class))
		tp.leafProbs = append(tp.leafProbs, n.probs...)
		return int32(len(tp.leafClass) - 1)
	})
	tp.Size += tp.trees.sizeBytes() + 4*int64(len(tp.leafClass)) + 8*int64(len(tp.leafProbs))
	return tp
}

// Predict implements model.Predictor.
func (p *treePredictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	classes := len(p.Labels)
	for r := range in.Rows {
		leaf := int(p.trees.leaf(0, p.Enc.Row(in, r, buf)))
		out.Classes[r] = p.leafClass[leaf]
		if probs := p.ProbsRow(out, r); probs != nil {
			copy(probs, p.leafProbs[leaf*classes:(leaf+1)*classes])
		}
	}
}
