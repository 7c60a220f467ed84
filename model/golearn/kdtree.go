package golearn

import (
	"math"
	"slices"
)

// kdTree indexes a knn model's training rows for nearest-neighbour search
// in few dimensions, as scikit-learn's KDTree does: each node splits its
// rows at the median of the dimension they spread most along, down to
// leaves of at most kdLeaf rows, and records the box they fill. A search
// visits the nearer child first and skips a node whose box is farther than
// the k-th nearest row found so far, so it computes a few hundred distances
// where a scan computes one per training row. It finds exactly the rows a
// scan finds: every distance is computed as the scan computes it, ties
// rank by training order, and a box is skipped only when it is farther by
// a margin no rounding of a distance can make up.
type kdTree struct {
	dims  int
	nodes []kdNode
	rows  []int32   // training rows, in node order
	data  []float64 // their values, in the same order
	boxes []float64 // each node's box: dims lows, then dims highs
}

type kdNode struct {
	lo, hi      int32 // the node's rows are rows[lo:hi]
	left, right int32 // children, or -1 for a leaf
}

// kdLeaf is the most rows a leaf holds; kdMaxDims the most dimensions a
// tree is built for (beyond, boxes prune too little: knn scans).
const (
	kdLeaf    = 32
	kdMaxDims = 16
	kdMinRows = 4 * kdLeaf
)

// kdMargin is how much farther than the k-th nearest a box must be to be
// skipped: far more than the relative rounding error of a distance summed
// over any number of columns up to MaxDims.
const kdMargin = 1 + 1e-9

// newKDTree builds the tree of rows×dims values, row by row.
func newKDTree(values []float64, rows, dims int) *kdTree {
	t := &kdTree{dims: dims, rows: make([]int32, rows)}
	for i := range t.rows {
		t.rows[i] = int32(i)
	}
	t.build(values, 0, rows)
	t.data = make([]float64, 0, rows*dims)
	for _, r := range t.rows {
		t.data = append(t.data, values[int(r)*dims:(int(r)+1)*dims]...)
	}
	return t
}

// build adds the node of rows[lo:hi] and its subtree, returning its index.
func (t *kdTree) build(values []float64, lo, hi int) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{lo: int32(lo), hi: int32(hi), left: -1, right: -1})
	box := make([]float64, 2*t.dims)
	for j := range t.dims {
		box[j], box[t.dims+j] = math.Inf(1), math.Inf(-1)
	}
	for _, r := range t.rows[lo:hi] {
		for j, v := range values[int(r)*t.dims : (int(r)+1)*t.dims] {
			box[j], box[t.dims+j] = min(box[j], v), max(box[t.dims+j], v)
		}
	}
	t.boxes = append(t.boxes, box...)
	if hi-lo <= kdLeaf {
		return id
	}
	widest := 0
	for j := range t.dims {
		if box[t.dims+j]-box[j] > box[t.dims+widest]-box[widest] {
			widest = j
		}
	}
	if box[t.dims+widest] == box[widest] {
		return id // every row is the same point
	}
	part := t.rows[lo:hi]
	slices.SortFunc(part, func(a, b int32) int {
		va, vb := values[int(a)*t.dims+widest], values[int(b)*t.dims+widest]
		switch {
		case va < vb:
			return -1
		case va > vb:
			return 1
		}
		return int(a - b)
	})
	mid := lo + (hi-lo)/2
	left := t.build(values, lo, mid)
	right := t.build(values, mid, hi)
	t.nodes[id].left, t.nodes[id].right = left, right
	return id
}

// boxDistance is a lower bound of the distance from x to any row of node
// n: the distance to the nearest point of its box.
func (t *kdTree) boxDistance(n int32, x []float64, manhattan bool) float64 {
	box := t.boxes[int(n)*2*t.dims : int(n+1)*2*t.dims]
	sum := 0.0
	for j, v := range x {
		gap := max(box[j]-v, v-box[t.dims+j], 0)
		if manhattan {
			sum += gap
		} else {
			sum += gap * gap
		}
	}
	if manhattan {
		return sum
	}
	return math.Sqrt(sum)
}

// search puts the cap(top) nearest training rows to x into top, nearest
// first, ties in training order, and returns how many it found.
func (p *knnPredictor) search(x []float64, top []neighbour) int {
	t := p.kd
	manhattan := p.distance == distManhattan
	var stack [64]int32
	var bounds [64]float64
	stack[0], bounds[0] = 0, 0
	depth := 1
	k := cap(top)
	for depth > 0 {
		depth--
		n, lb := stack[depth], bounds[depth]
		if len(top) == k && lb > top[k-1].d*kdMargin {
			continue
		}
		node := &t.nodes[n]
		if node.left < 0 {
			top = p.leafScan(x, node, top)
			continue
		}
		// Push the farther child first, so the nearer is searched first.
		l, r := node.left, node.right
		ld, rd := t.boxDistance(l, x, manhattan), t.boxDistance(r, x, manhattan)
		if ld < rd {
			l, r, ld, rd = r, l, rd, ld
		}
		stack[depth], bounds[depth] = l, ld
		stack[depth+1], bounds[depth+1] = r, rd
		depth += 2
	}
	return len(top)
}

// leafScan merges a leaf's rows into top, with the scan's arithmetic.
func (p *knnPredictor) leafScan(x []float64, node *kdNode, top []neighbour) []neighbour {
	t, dims, k := p.kd, p.kd.dims, cap(top)
	for i := node.lo; i < node.hi; i++ {
		y := t.data[int(i)*dims : int(i+1)*dims : int(i+1)*dims]
		y = y[:len(x)]
		row := int(t.rows[i])
		sum := 0.0
		if p.distance == distManhattan {
			for _, v := range x {
				sum += math.Abs(v - y[0])
				y = y[1:]
			}
			if len(top) < k || !(sum > top[k-1].d) {
				insertOrdered(&top, neighbour{d: nanLast(sum), row: row})
			}
			continue
		}
		for j, v := range x {
			diff := v - y[j]
			sum += float64(diff * diff)
		}
		// A sum larger by a margin cannot round to a root as small.
		if len(top) < k || !(sum > top[k-1].sum*kdMargin) {
			insertOrdered(&top, neighbour{d: nanLast(math.Sqrt(sum)), row: row, sum: sum})
		}
	}
	return top
}

// nanLast ranks a NaN distance (of NaN input, which callers should not
// pass) last, as the reference does.
func nanLast(d float64) float64 {
	if d != d {
		return math.Inf(1)
	}
	return d
}

// insertOrdered puts n into *top, ordered by distance then training row,
// when it ranks before the last of a full *top (of capacity k). A scan,
// whose rows come in training order, and a tree search rank alike.
func insertOrdered(top *[]neighbour, n neighbour) {
	t, k := *top, cap(*top)
	before := func(a, b neighbour) bool { return a.d < b.d || a.d == b.d && a.row < b.row }
	if len(t) == k && !before(n, t[k-1]) {
		return
	}
	at := len(t)
	if at == k {
		at--
	} else {
		t = t[:at+1]
	}
	for at > 0 && before(n, t[at-1]) {
		t[at] = t[at-1]
		at--
	}
	t[at] = n
	*top = t
}
