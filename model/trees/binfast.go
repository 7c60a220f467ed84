package trees

import (
	"math"
	"slices"
	"sync"
	"unsafe"
)

// binTrees holds a model's trees for predicting rows cut into bins: a
// row's values become bin numbers once (a binary search of each column's
// thresholds, as training cut them), and a node compares a byte with a
// byte. A node is 8 bytes, and the trees are laid out depth first, a
// split's left child right after it, so a walk down the left reads on in
// the same cache line: what makes the deep trees of a large forest, far
// larger than the caches, several times faster to walk than 16-byte nodes
// breadth first. "bin ≤ b" is the test "x ≤ threshold b" (see binned), so
// the walk reaches the leaf the raw values reach.
//
// A missing value (NaN) codes as 0, which every split sends left, as the
// reference does for a split whose MissingRight is false. A column that
// some split sends missing values right gets a twin column in the coded
// row, coding NaN as 255, above every bin, and those splits test the twin:
// so missing values cost no work in a step, and a forest, which has no
// such split, no column either.
type binTrees struct {
	nodes      []binNode
	value      []int32 // each node's offset in values: a leaf's first value, -1 for a split
	roots      []int32
	depth      []int32
	values     []float64
	thresholds [][]float64 // each encoded column's
	twins      []int32     // the columns of coded row dims+k, coding NaN as 255
	// leafCol is the column of a coded row that holds 255: a leaf tests
	// it against bin 0, so it always "goes right", to itself.
	leafCol int
	pool    sync.Pool // *[]uint8 of leafCol+1, when wider than the stack
}

// binNode sends a coded row right when row[col] > bin, else to the next
// node, its left child; col and bin share a word (col<<8 | bin).
type binNode struct {
	right  int32
	colBin uint32
}

// stackCodes is the widest coded row kept on the stack.
const stackCodes = 256

// newBinTrees lays out m's trees, whose splits are on thresholds (of at
// most learn.MaxDims columns, so a column and its twin fit col's 24 bits).
func newBinTrees(m *forestModel, thresholds [][]float64) *binTrees {
	b := &binTrees{thresholds: thresholds}
	twin := map[int32]int32{}
	for i := range m.trees {
		for _, n := range m.trees[i].Nodes {
			if _, ok := twin[n.Feature]; n.Feature >= 0 && n.MissingRight && !ok {
				twin[n.Feature] = int32(len(thresholds) + len(b.twins))
				b.twins = append(b.twins, n.Feature)
			}
		}
	}
	b.leafCol = len(thresholds) + len(b.twins)
	for i := range m.trees {
		b.add(&m.trees[i], m.width, twin)
	}
	if width := b.leafCol + 1; width > stackCodes {
		b.pool.New = func() any {
			codes := make([]uint8, width)
			return &codes
		}
	}
	return b
}

// add appends t depth first; a split sending missing values right tests
// its column's twin.
func (b *binTrees) add(t *tree, width int, twin map[int32]int32) {
	base := int32(len(b.values))
	b.values = append(b.values, t.Values...)
	b.roots = append(b.roots, int32(len(b.nodes)))
	b.depth = append(b.depth, t.depth)
	var place func(n int32) int32
	place = func(n int32) int32 {
		at := int32(len(b.nodes))
		src := &t.Nodes[n]
		if src.Feature < 0 {
			b.nodes = append(b.nodes, binNode{right: at, colBin: uint32(b.leafCol) << 8})
			b.value = append(b.value, base+src.Leaf*int32(width))
			return at
		}
		// A threshold is one of its column's, or (boosting: every number
		// left, missing values right) above them all: bin len(thresholds).
		bin, _ := slices.BinarySearch(b.thresholds[src.Feature], src.Threshold)
		col := src.Feature
		if src.MissingRight {
			col = twin[col]
		}
		b.nodes = append(b.nodes, binNode{colBin: uint32(col)<<8 | uint32(bin)})
		b.value = append(b.value, -1)
		place(src.Left) // right after at
		b.nodes[at].right = place(src.Right)
		return at
	}
	place(0)
}

// code writes the bin of each of x's values into codes, then the twins,
// then 255 at leafCol.
func (b *binTrees) code(x []float64, codes []uint8) {
	for j, v := range x {
		at := 0
		if v == v {
			at, _ = slices.BinarySearch(b.thresholds[j], v) // the first threshold ≥ v
		}
		codes[j] = uint8(at)
	}
	for k, col := range b.twins {
		c := codes[col]
		if math.IsNaN(x[col]) {
			c = 255
		}
		codes[len(x)+k] = c
	}
	codes[b.leafCol] = 255
}

// step returns the node a coded row goes to from node i.
func (b *binTrees) step(i int32, codes []uint8) int32 {
	n := &b.nodes[i]
	left := i + 1
	// right when the mask is all ones: a select without a branch, whose
	// outcome the processor could not predict.
	mask := -b2i(codes[n.colBin>>8] > uint8(n.colBin))
	return left ^ (left^n.right)&mask
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

// maxLockstep is the deepest group walked its depth without checking.
const maxLockstep = 16

// walk finds the leaves a coded row reaches in trees t..t+lanes-1 and
// returns their value offsets. Trees of at most maxLockstep depth are
// walked their group's depth in lockstep (a leaf steps to itself, so a
// lane that is there stays); deeper ones until every lane is on a leaf,
// checked every fourth step.
func (b *binTrees) walk(t int, codes []uint8) [lanes]int32 {
	r := b.roots[t : t+lanes : t+lanes]
	i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
	d := b.depth[t]
	for _, dd := range b.depth[t+1 : t+lanes] {
		d = max(d, dd)
	}
	steps := d
	if d > maxLockstep {
		steps = 4
	}
	for {
		for range steps {
			i0 = b.step(i0, codes)
			i1 = b.step(i1, codes)
			i2 = b.step(i2, codes)
			i3 = b.step(i3, codes)
			i4 = b.step(i4, codes)
			i5 = b.step(i5, codes)
			i6 = b.step(i6, codes)
			i7 = b.step(i7, codes)
		}
		v := [lanes]int32{b.value[i0], b.value[i1], b.value[i2], b.value[i3], b.value[i4], b.value[i5], b.value[i6], b.value[i7]}
		if d <= maxLockstep || (v[0]|v[1]|v[2]|v[3]|v[4]|v[5]|v[6]|v[7]) >= 0 {
			return v
		}
	}
}

// leaf returns the value offset of the leaf a coded row reaches in tree t.
func (b *binTrees) leaf(t int, codes []uint8) int32 {
	i := b.roots[t]
	for b.value[i] < 0 {
		i = b.step(i, codes)
	}
	return b.value[i]
}

func (b *binTrees) sizeBytes() int64 {
	size := int64(len(b.nodes))*int64(unsafe.Sizeof(binNode{})+4) + 8*int64(len(b.roots)+len(b.values)) + 4*int64(len(b.twins))
	for _, t := range b.thresholds {
		size += 24 + 8*int64(len(t))
	}
	return size
}
