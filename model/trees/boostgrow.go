package trees

import (
	"container/heap"
	"context"
	"math"
	"sync"

	"gitlab.com/mlserve/mlserve/internal/learn"
)

// gbBin is a histogram bin of a boosting tree's node: the gradients and
// hessians of its rows, summed, and how many rows.
type gbBin struct {
	g, h float64
	n    int32
}

// gbLeaf is a leaf of the tree being grown: its rows (a range of the
// grower's samples), their sums, their histogram while it may be split,
// and its best split.
type gbLeaf struct {
	id         int32
	start, end int32
	depth      int
	g, h       float64
	hist       []gbBin
	split      gbSplit
}

func (l *gbLeaf) rows() int32 { return l.end - l.start }

// gbSplit is a candidate split of a leaf: rows with a bin ≤ bin go left,
// missing values to the right when missingRight.
type gbSplit struct {
	ok           bool
	col          int
	bin          uint8
	missingRight bool
	gain         float64
	gl, hl       float64
	nl           int32
}

// boostGrower grows the trees of one output, best leaf first (LightGBM's
// leaf-wise growth), reusing its buffers from tree to tree.
type boostGrower struct {
	b       *booster
	threads int
	offs    []int // each column's first bin in a histogram
	slots   int
	samples []int32
	og, oh  []float64 // the gradients and hessians of a node's rows, in its order
	free    [][]gbBin
	nodes   []node
	bins    []uint8 // each split node's bin, to predict binned rows
	leaves  []*gbLeaf
}

func newBoostGrower(b *booster, threads int) *boostGrower {
	g := &boostGrower{b: b, threads: threads, offs: make([]int, len(b.d.b.codes))}
	for j, t := range b.d.b.thresholds {
		g.offs[j] = g.slots
		g.slots += len(t) + 2 // the bins, and the missing bin
	}
	n := b.d.b.rows
	g.samples, g.og, g.oh = make([]int32, n), make([]float64, n), make([]float64, n)
	return g
}

// grow grows a tree on the gradients and hessians of every training row,
// adds its leaf values to raw and returns it. It checks ctx before each
// split.
func (g *boostGrower) grow(ctx context.Context, grad, hess, raw []float64) (tree, error) {
	for i := range g.samples {
		g.samples[i] = int32(i)
	}
	g.nodes, g.bins, g.leaves = g.nodes[:0], g.bins[:0], g.leaves[:0]
	root := g.newLeaf(0, int32(len(g.samples)), 0)
	for _, i := range g.samples {
		root.g += grad[i]
		root.h += hess[i]
	}
	root.hist = g.histogram(root, grad, hess)
	var open leafHeap
	g.consider(root, &open)
	for count := 1; count < g.b.p.maxLeaves && open.Len() > 0; count++ {
		if err := learn.Stopped(ctx); err != nil {
			return tree{}, err
		}
		l := heap.Pop(&open).(*gbLeaf)
		g.divide(l, grad, hess, &open)
	}
	return g.finish(raw), nil
}

// newLeaf adds a leaf node for rows start..end-1.
func (g *boostGrower) newLeaf(start, end int32, depth int) *gbLeaf {
	l := &gbLeaf{id: int32(len(g.nodes)), start: start, end: end, depth: depth}
	g.nodes = append(g.nodes, node{Feature: -1, Left: -1, Right: -1})
	g.bins = append(g.bins, 0)
	g.leaves = append(g.leaves, l)
	return l
}

// consider finds a leaf's best split and queues the leaf when it has one;
// else its histogram is no longer needed.
func (g *boostGrower) consider(l *gbLeaf, open *leafHeap) {
	p := g.b.p
	if !(p.maxDepth > 0 && l.depth >= p.maxDepth) && int(l.rows()) >= 2*p.minLeaf && l.h >= 2*minHessian {
		l.split = g.best(l)
	}
	if l.split.ok {
		heap.Push(open, l)
		return
	}
	g.release(l)
}

// divide splits a leaf in two: the smaller child's histogram is built
// from its rows, the larger's is the parent's less the smaller's.
func (g *boostGrower) divide(l *gbLeaf, grad, hess []float64, open *leafHeap) {
	s := l.split
	d := g.b.d.b
	codes, missing := d.codes[s.col], missingOf(d.thresholds[s.col])
	i, j := l.start, l.end-1
	for i <= j {
		c := codes[g.samples[i]]
		if c == missing && !s.missingRight || c != missing && c <= s.bin {
			i++
			continue
		}
		g.samples[i], g.samples[j] = g.samples[j], g.samples[i]
		j--
	}
	left, right := g.newLeaf(l.start, i, l.depth+1), g.newLeaf(i, l.end, l.depth+1)
	left.g, left.h = s.gl, s.hl
	right.g, right.h = l.g-s.gl, l.h-s.hl
	threshold := math.MaxFloat64 // every number goes left: only missing values go right
	if t := d.thresholds[s.col]; int(s.bin) < len(t) {
		threshold = t[s.bin]
	}
	g.nodes[l.id] = node{Feature: int32(s.col), Threshold: threshold, Left: left.id, Right: right.id, MissingRight: s.missingRight}
	g.bins[l.id] = s.bin
	g.b.addGain(s.col, s.gain)
	small, large := left, right
	if small.rows() > large.rows() {
		small, large = right, left
	}
	small.hist = g.histogram(small, grad, hess)
	large.hist, l.hist = l.hist, nil
	for k := range large.hist {
		large.hist[k].g -= small.hist[k].g
		large.hist[k].h -= small.hist[k].h
		large.hist[k].n -= small.hist[k].n
	}
	g.consider(left, open)
	g.consider(right, open)
}

// histogram builds a leaf's histogram: its rows' gradients gathered in
// row order once, then each column's bins summed, columns split among the
// grower's threads when the leaf is large.
func (g *boostGrower) histogram(l *gbLeaf, grad, hess []float64) []gbBin {
	h := g.alloc()
	idx := g.samples[l.start:l.end]
	og, oh := g.og[:len(idx)], g.oh[:len(idx)]
	for i, s := range idx {
		og[i], oh[i] = grad[s], hess[s]
	}
	cols := len(g.offs)
	sum := func(lo, hi int) {
		for j := lo; j < hi; j++ {
			codes, base := g.b.d.b.codes[j], g.offs[j]
			bins := h[base : base+len(g.b.d.b.thresholds[j])+2]
			for i, s := range idx {
				bin := &bins[codes[s]]
				bin.g += og[i]
				bin.h += oh[i]
				bin.n++
			}
		}
	}
	workers := min(g.threads, cols)
	if workers < 2 || len(idx)*cols < 1<<16 {
		sum(0, cols)
		return h
	}
	var wg sync.WaitGroup
	per := (cols + workers - 1) / workers
	for lo := 0; lo < cols; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			sum(lo, hi)
		}(lo, min(cols, lo+per))
	}
	wg.Wait()
	return h
}

func (g *boostGrower) alloc() []gbBin {
	if n := len(g.free); n > 0 {
		h := g.free[n-1]
		g.free = g.free[:n-1]
		clear(h)
		return h
	}
	return make([]gbBin, g.slots)
}

func (g *boostGrower) release(l *gbLeaf) {
	if l.hist != nil {
		g.free = append(g.free, l.hist)
		l.hist = nil
	}
}

// best finds a leaf's best split: on each column, after each bin, with
// the column's missing values sent right and, when the leaf has any,
// sent left; each side needs min_samples_leaf rows and minHessian. The
// gain is GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ); the first of equal gains
// wins. A split of a leaf without missing values sends them, at predict
// time, to the side with more rows (scikit-learn's rule).
func (g *boostGrower) best(l *gbLeaf) gbSplit {
	p, lambda := g.b.p, g.b.p.l2
	n := l.rows()
	parent := l.g * l.g / (l.h + lambda)
	var best gbSplit
	try := func(col, bin int, missingRight bool, gl, hl float64, nl int32) {
		gr, hr, nr := l.g-gl, l.h-hl, n-nl
		if int(nl) < p.minLeaf || int(nr) < p.minLeaf || hl < minHessian || hr < minHessian {
			return
		}
		gain := gl*gl/(hl+lambda) + gr*gr/(hr+lambda) - parent
		if gain > 0 && (!best.ok || gain > best.gain) {
			best = gbSplit{ok: true, col: col, bin: uint8(bin), missingRight: missingRight, gain: gain, gl: gl, hl: hl, nl: nl}
		}
	}
	for col, base := range g.offs {
		bins := len(g.b.d.b.thresholds[col]) + 1
		h := l.hist[base : base+bins+1]
		miss := h[bins]
		var gl, hl float64
		var nl int32
		last := bins - 1 // with no missing value, a split after the last bin leaves nothing right
		if miss.n > 0 {
			last = bins
		}
		for b := range last {
			gl, hl, nl = gl+h[b].g, hl+h[b].h, nl+h[b].n
			try(col, b, true, gl, hl, nl)
		}
		if miss.n == 0 {
			continue
		}
		gl, hl, nl = l.g, l.h, n // missing left: move bins right from the top
		for b := bins - 1; b >= 1; b-- {
			gl, hl, nl = gl-h[b].g, hl-h[b].h, nl-h[b].n
			try(col, b-1, false, gl, hl, nl)
		}
	}
	if best.ok && l.hist[g.offs[best.col]+len(g.b.d.b.thresholds[best.col])+1].n == 0 {
		best.missingRight = n-best.nl > best.nl
	}
	return best
}

// finish turns the grown nodes into a tree: each leaf's value is
// −G/(H+λ) times the learning rate, added to raw for its rows.
func (g *boostGrower) finish(raw []float64) tree {
	t := tree{Nodes: append([]node(nil), g.nodes...)}
	leafOf := make([]*gbLeaf, len(g.nodes))
	for _, l := range g.leaves {
		leafOf[l.id] = l
	}
	for id := range t.Nodes {
		n := &t.Nodes[id]
		if n.Feature >= 0 {
			continue
		}
		l := leafOf[id]
		g.release(l)
		v := -g.b.p.rate * l.g / (l.h + g.b.p.l2 + 1e-15)
		n.Leaf = int32(len(t.Values))
		t.Values = append(t.Values, v)
		for _, s := range g.samples[l.start:l.end] {
			raw[s] += v
		}
	}
	t.depth = depthOf(t.Nodes)
	return t
}

// predictHeld adds the tree just grown to the raw scores of the binned
// validation rows.
func (g *boostGrower) predictHeld(t *tree, raw []float64) {
	d := g.b.held
	for r := range raw {
		i := int32(0)
		for t.Nodes[i].Feature >= 0 {
			n := &t.Nodes[i]
			c := d.codes[n.Feature][r]
			if missing := missingOf(d.thresholds[n.Feature]); c == missing && !n.MissingRight || c != missing && c <= g.bins[i] {
				i = n.Left
			} else {
				i = n.Right
			}
		}
		raw[r] += t.Values[t.Nodes[i].Leaf]
	}
}

// leafHeap orders leaves by their split's gain, the largest first, then
// by node id.
type leafHeap []*gbLeaf

func (h leafHeap) Len() int { return len(h) }
func (h leafHeap) Less(i, j int) bool {
	if h[i].split.gain != h[j].split.gain {
		return h[i].split.gain > h[j].split.gain
	}
	return h[i].id < h[j].id
}
func (h leafHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *leafHeap) Push(x any)   { *h = append(*h, x.(*gbLeaf)) }
func (h *leafHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}
