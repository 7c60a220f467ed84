package trees

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"

	"gitlab.com/mlserve/mlserve/internal/learn"
)

// Split criteria.
const (
	criterionGini    = "gini"
	criterionEntropy = "entropy"
	criterionSquared = "squared_error"
)

// cartData is what CART trees of one fit are grown on: the binned training
// rows and their targets.
type cartData struct {
	b       *binned
	groups  [][]int   // the encoded columns of each input feature
	y       []int32   // classification: each row's class
	v       []float64 // regression: each row's target
	classes int       // classification: how many; 0 for a regression
	xlogx   []float64 // entropy: x·log(x) for every whole weight up to the rows
}

// cartParams are the growing rules of a CART tree.
type cartParams struct {
	criterion   string
	maxDepth    int // 0: no limit
	minSplit    int
	minLeaf     int
	maxFeatures int // input features drawn for each split
}

// grown is a tree being grown: its nodes, leaf values (class counts, or
// means), the bin each split was learned at (for predicting binned rows),
// and the impurity decrease of its splits by encoded column.
type grown struct {
	nodes      []node
	values     []float64
	bins       []uint8
	importance []float64
}

// grower grows CART trees, one at a time; its buffers are reused from
// tree to tree, so a goroutine keeps one.
type grower struct {
	d       *cartData
	p       cartParams
	samples []int32 // the rows of the tree (weight > 0), partitioned node by node
	w       []int32 // each row's weight: its bootstrap count, or 1
	// Per-bin statistics of one column in one node.
	counts []float64 // classification: counts[bin*classes+class], weighted
	rows   []int32   // rows (unweighted) per bin
	sumW   []float64 // regression: weight per bin
	sumY   []float64 // regression: weighted target per bin
	used   [4]uint64 // the bins with rows
	// Per-node scratch: the node's class weights (and the left side's of a
	// split), its weight, and (regression) its weighted target sum and sum
	// of squares.
	total, left          []float64
	nodeW, nodeY, nodeYY float64
	order                []int // the input features, drawn from in place
	stack                []pending
}

// pending is a node waiting to be grown.
type pending struct {
	start, end int32
	depth      int32
	parent     int32 // -1 for the root
	right      bool
}

func newGrower(d *cartData, p cartParams) *grower {
	g := &grower{d: d, p: p, rows: make([]int32, 256), order: make([]int, len(d.groups))}
	if d.classes > 0 {
		g.counts = make([]float64, 256*d.classes)
		g.total, g.left = make([]float64, d.classes), make([]float64, d.classes)
	} else {
		g.sumW, g.sumY = make([]float64, 256), make([]float64, 256)
	}
	return g
}

// split is the best split found in a node.
type split struct {
	ok    bool
	col   int
	bin   uint8   // rows with a bin ≤ bin go left
	score float64 // the criterion's proxy: higher is better
}

// checkEvery is how many rows (times the features drawn) a grower
// visits at most between two looks at its context: a few milliseconds of
// work, so a canceled fit stops well within a second.
const checkEvery = 1 << 20

// grow grows a tree on the rows with weight w[row] > 0, drawing features
// from rng. It checks ctx every few hundred nodes, or checkEvery rows.
func (g *grower) grow(ctx context.Context, w []int32, rng *rand.Rand) (*grown, error) {
	g.w = w
	g.samples = g.samples[:0]
	for r, n := range w {
		if n > 0 {
			g.samples = append(g.samples, int32(r))
		}
	}
	t := &grown{importance: make([]float64, len(g.d.b.codes)),
		nodes: make([]node, 0, 2*len(g.samples)/max(1, g.p.minLeaf)+1)}
	g.stack = append(g.stack[:0], pending{start: 0, end: int32(len(g.samples)), parent: -1})
	work := 0 // rows visited since ctx was last checked
	for len(g.stack) > 0 {
		if len(t.nodes)%256 == 255 || work >= checkEvery {
			if err := learn.Stopped(ctx); err != nil {
				return nil, err
			}
			work = 0
		}
		p := g.stack[len(g.stack)-1]
		work += int(p.end-p.start) * g.p.maxFeatures
		g.stack = g.stack[:len(g.stack)-1]
		g.node(t, p, rng)
	}
	return t, nil
}

// node grows the pending node p: a leaf, or a split whose children it
// pushes.
func (g *grower) node(t *grown, p pending, rng *rand.Rand) {
	id := int32(len(t.nodes))
	if p.parent >= 0 {
		if p.right {
			t.nodes[p.parent].Right = id
		} else {
			t.nodes[p.parent].Left = id
		}
	}
	t.nodes = append(t.nodes, node{Feature: -1, Left: -1, Right: -1})
	t.bins = append(t.bins, 0)
	parent, weight := g.totals(p.start, p.end)
	n := int(p.end - p.start)
	var s split
	if !(g.p.maxDepth > 0 && int(p.depth) >= g.p.maxDepth || n < g.p.minSplit || n < 2*g.p.minLeaf || g.pure(weight)) {
		s = g.best(p.start, p.end, rng)
	}
	if !s.ok {
		t.nodes[id].Leaf = int32(len(t.values) / g.width())
		t.values = g.leafValues(t.values)
		return
	}
	mid := g.partition(p.start, p.end, s)
	t.nodes[id] = node{Feature: int32(s.col), Threshold: g.d.b.thresholds[s.col][s.bin], Left: -1, Right: -1}
	t.bins[id] = s.bin
	t.importance[s.col] += s.score - parent
	g.stack = append(g.stack,
		pending{start: mid, end: p.end, depth: p.depth + 1, parent: id, right: true},
		pending{start: p.start, end: mid, depth: p.depth + 1, parent: id})
}

func (g *grower) width() int { return max(g.d.classes, 1) }

// totals sums the node's targets into g.total (classification) or
// returns them, and returns its criterion proxy (see best) and weight.
func (g *grower) totals(start, end int32) (proxy, weight float64) {
	if g.d.classes > 0 {
		clear(g.total)
		for _, s := range g.samples[start:end] {
			g.total[g.d.y[s]] += float64(g.w[s])
		}
		for _, c := range g.total {
			weight += c
		}
		g.nodeW = weight
		return g.classProxy(g.total, weight), weight
	}
	var sum, squares float64
	for _, s := range g.samples[start:end] {
		w, v := float64(g.w[s]), g.d.v[s]
		weight += w
		sum += w * v
		squares += w * v * v
	}
	g.nodeW, g.nodeY, g.nodeYY = weight, sum, squares
	return sum * sum / weight, weight
}

// pure reports whether the node's targets are all one class, or all
// (but for rounding) one value: scikit-learn's impurity ≤ ε.
func (g *grower) pure(weight float64) bool {
	if g.d.classes == 0 {
		mean := g.nodeY / g.nodeW
		return g.nodeYY/g.nodeW-mean*mean <= 0x1p-52
	}
	for _, c := range g.total {
		if c == weight {
			return true
		}
	}
	return false
}

// leafValues appends the leaf's values: its weighted class counts (what
// is stored; predictors use their shares), or its mean.
func (g *grower) leafValues(values []float64) []float64 {
	if g.d.classes == 0 {
		return append(values, g.nodeY/g.nodeW)
	}
	return append(values, g.total...)
}

// shares turns a leaf's class counts into its class shares in place, as
// every reader of a stored classification tree does.
func shares(counts []float64) {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	for k := range counts {
		counts[k] /= total
	}
}

// classProxy is the quantity a class split maximizes, summed over its
// sides: Σc²/W for Gini (W·gini = W − Σc²/W), Σc·log c − W·log W for
// entropy (−W·entropy). The impurity decrease of a split is its sides'
// proxy less its node's.
func (g *grower) classProxy(counts []float64, weight float64) float64 {
	s := 0.0
	if g.p.criterion == criterionEntropy {
		for _, c := range counts {
			s += g.d.xlogx[int(c)]
		}
		return s - g.d.xlogx[int(weight)]
	}
	for _, c := range counts {
		s += c * c
	}
	return s / weight
}

// best finds the best split of the node's rows. It draws input features
// at random without replacement, as scikit-learn does: maxFeatures of
// them, and more while every one drawn was constant in the node.
func (g *grower) best(start, end int32, rng *rand.Rand) split {
	var best split
	for i := range g.order {
		g.order[i] = i
	}
	varied := false
	for k := 0; k < len(g.order) && (k < g.p.maxFeatures || !varied); k++ {
		j := k + learn.Intn(rng, len(g.order)-k)
		g.order[k], g.order[j] = g.order[j], g.order[k]
		for _, col := range g.d.groups[g.order[k]] {
			s, constant := g.column(col, start, end)
			varied = varied || !constant
			if s.ok && (!best.ok || s.score > best.score) {
				best = s
			}
		}
	}
	return best
}

// column finds the best split of the node's rows on one encoded column,
// and reports whether the column is constant in the node.
func (g *grower) column(col int, start, end int32) (split, bool) {
	codes := g.d.b.codes[col]
	g.used = [4]uint64{}
	if g.d.classes > 0 {
		k := g.d.classes
		for _, s := range g.samples[start:end] {
			b := int(codes[s])
			g.counts[b*k+int(g.d.y[s])] += float64(g.w[s])
			g.rows[b]++
			g.used[b>>6] |= 1 << (b & 63)
		}
	} else {
		for _, s := range g.samples[start:end] {
			b := int(codes[s])
			w := float64(g.w[s])
			g.sumW[b] += w
			g.sumY[b] += w * g.d.v[s]
			g.rows[b]++
			g.used[b>>6] |= 1 << (b & 63)
		}
	}
	n := int(end - start)
	used := bits.OnesCount64(g.used[0]) + bits.OnesCount64(g.used[1]) + bits.OnesCount64(g.used[2]) + bits.OnesCount64(g.used[3])
	var best split
	if used > 1 {
		best = g.sweep(col, n)
	}
	g.clearBins()
	return best, used <= 1
}

// sweep tries a split after each bin with rows but the last, in bin order.
func (g *grower) sweep(col, n int) split {
	var best split
	k := g.d.classes
	var leftRows int
	var leftW, leftY float64
	totalW, totalY := g.nodeW, g.nodeY // the node's, summed by totals
	clear(g.left)
	last := -1
	for w := range 4 {
		for m := g.used[w]; m != 0; m &= m - 1 {
			b := w<<6 | bits.TrailingZeros64(m)
			if last >= 0 && leftRows >= g.p.minLeaf && n-leftRows >= g.p.minLeaf {
				var score float64
				if k > 0 {
					score = g.sideProxy(totalW, leftW)
				} else {
					rightY, rightW := totalY-leftY, totalW-leftW
					score = leftY*leftY/leftW + rightY*rightY/rightW
				}
				if !best.ok || score > best.score {
					// Any threshold between the two bins splits these rows
					// alike: take the one midway.
					best = split{ok: true, col: col, bin: uint8((last + b - 1) / 2), score: score}
				}
			}
			leftRows += int(g.rows[b])
			if k > 0 {
				for c, v := range g.counts[b*k : (b+1)*k] {
					g.left[c] += v
					leftW += v
				}
			} else {
				leftW += g.sumW[b]
				leftY += g.sumY[b]
			}
			last = b
		}
	}
	return best
}

// sideProxy is classProxy of the split with g.left on the left.
func (g *grower) sideProxy(totalW, leftW float64) float64 {
	rightW := totalW - leftW
	s := 0.0
	if g.p.criterion == criterionEntropy {
		for c, l := range g.left {
			s += g.d.xlogx[int(l)] + g.d.xlogx[int(g.total[c]-l)]
		}
		return s - g.d.xlogx[int(leftW)] - g.d.xlogx[int(rightW)]
	}
	var l2, r2 float64
	for c, l := range g.left {
		r := g.total[c] - l
		l2 += l * l
		r2 += r * r
	}
	return l2/leftW + r2/rightW
}

// clearBins zeroes the statistics of the bins column used.
func (g *grower) clearBins() {
	k := g.d.classes
	for w := range 4 {
		for m := g.used[w]; m != 0; m &= m - 1 {
			b := w<<6 | bits.TrailingZeros64(m)
			g.rows[b] = 0
			if k > 0 {
				clear(g.counts[b*k : (b+1)*k])
			} else {
				g.sumW[b], g.sumY[b] = 0, 0
			}
		}
	}
}

// partition moves the node's rows that go left before those that go
// right and returns where the right ones start.
func (g *grower) partition(start, end int32, s split) int32 {
	codes := g.d.b.codes[s.col]
	i, j := start, end-1
	for i <= j {
		if codes[g.samples[i]] <= s.bin {
			i++
			continue
		}
		g.samples[i], g.samples[j] = g.samples[j], g.samples[i]
		j--
	}
	return i
}

// xlogxTable returns x·log(x) for x = 0..n (0 for 0).
func xlogxTable(n int) []float64 {
	t := make([]float64, n+1)
	for x := 1; x <= n; x++ {
		t[x] = float64(x) * math.Log(float64(x))
	}
	return t
}
