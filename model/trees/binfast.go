package trees

import (
	"slices"
	"sync"
	"unsafe"
)

// binTrees holds a forest's (or a tree's) trees for predicting rows cut
// into bins: a row's values become bin numbers once (a binary search of
// each column's thresholds, as training cut them), and a node compares a
// byte with a byte. A node is 8 bytes, half a flatNode, and the trees are
// laid out depth first, a split's left child right after it, so a walk
// down the left reads on in the same cache line: what makes the deep trees
// of a large forest, far larger than the caches, several times faster to
// walk. "bin ≤ b" is the test "x ≤ threshold b" (see binned), so the walk
// reaches the leaf the raw values reach. It takes no missing values, which
// a forest's callers refuse.
type binTrees struct {
	nodes      []binNode
	value      []int32 // each node's offset in values: a leaf's first value, -1 for a split
	roots      []int32
	depth      []int32
	values     []float64
	thresholds [][]float64 // each encoded column's
	// leafCol is the column of a coded row that holds 255: a leaf tests
	// it against bin 0, so it always "goes right", to itself.
	leafCol int
	pool    sync.Pool // *[]uint8 of leafCol+1, when wider than the stack
}

// binNode sends a coded row right when row[col] > bin, else to the next
// node, its left child.
type binNode struct {
	right int32
	col   uint16
	bin   uint8
}

// maxBinCols bounds the columns binTrees serves; a model of more is served
// by flatTrees.
const maxBinCols = 1<<16 - 1

// stackCodes is the widest coded row kept on the stack.
const stackCodes = 256

// newBinTrees lays out m's trees, whose splits are on thresholds.
func newBinTrees(m *forestModel, thresholds [][]float64) *binTrees {
	b := &binTrees{thresholds: thresholds, leafCol: len(thresholds)}
	for i := range m.trees {
		b.add(&m.trees[i], m.width)
	}
	if width := b.leafCol + 1; width > stackCodes {
		b.pool.New = func() any {
			codes := make([]uint8, width)
			return &codes
		}
	}
	return b
}

// add appends t depth first.
func (b *binTrees) add(t *tree, width int) {
	base := int32(len(b.values))
	b.values = append(b.values, t.Values...)
	root := int32(len(b.nodes))
	b.roots = append(b.roots, root)
	b.depth = append(b.depth, t.depth)
	// Each stored node's place, filled in as nodes are laid out.
	var place func(n int32) int32
	place = func(n int32) int32 {
		at := int32(len(b.nodes))
		src := &t.Nodes[n]
		if src.Feature < 0 {
			b.nodes = append(b.nodes, binNode{right: at, col: uint16(b.leafCol)})
			b.value = append(b.value, base+src.Leaf*int32(width))
			return at
		}
		bin, _ := slices.BinarySearch(b.thresholds[src.Feature], src.Threshold)
		b.nodes = append(b.nodes, binNode{col: uint16(src.Feature), bin: uint8(bin)})
		b.value = append(b.value, -1)
		place(src.Left) // right after at
		b.nodes[at].right = place(src.Right)
		return at
	}
	place(0)
}

// code writes the bin of each of x's values into codes, and 255 at
// leafCol.
func (b *binTrees) code(x []float64, codes []uint8) {
	for j, v := range x {
		at, _ := slices.BinarySearch(b.thresholds[j], v) // the first threshold ≥ v
		codes[j] = uint8(at)
	}
	codes[b.leafCol] = 255
}

// step returns the node a coded row goes to from node i.
func (b *binTrees) step(i int32, codes []uint8) int32 {
	n := &b.nodes[i]
	left := i + 1
	// right when the mask is all ones: a select without a branch, whose
	// outcome the processor could not predict.
	mask := -b2i(codes[n.col] > n.bin)
	return left ^ (left^n.right)&mask
}

// walk finds the leaves a coded row reaches in trees t..t+lanes-1 and
// returns their value offsets, as flatTrees.walk does.
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
	size := int64(len(b.nodes))*int64(unsafe.Sizeof(binNode{})+4) + 8*int64(len(b.roots)+len(b.values))
	for _, t := range b.thresholds {
		size += 24 + 8*int64(len(t))
	}
	return size
}
