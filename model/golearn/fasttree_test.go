package golearn

import (
	"math/rand/v2"
	"testing"
)

// caterpillar returns a tree of the given depth: split k sends x[k%dims]
// ≤ k/depth to a leaf of class k%classes and the rest on to split k+1.
// With oneChild, every fifth split has its other child only, which takes
// every row (as compile makes a split golearn saved with one child).
func caterpillar(depth, dims, classes int, oneChild bool) *tree {
	t := &tree{}
	for k := range depth {
		split := len(t.nodes)
		t.nodes = append(t.nodes,
			treeNode{col: k % dims, split: float64(k) / float64(depth), next: [2]int{split + 1, split + 2}},
			treeNode{col: -1, class: k % classes})
		if oneChild && k%5 == 4 {
			t.nodes[split].next[0] = split + 2
		}
	}
	t.nodes = append(t.nodes, treeNode{col: -1, class: (depth + 1) % classes})
	return t
}

func TestFlatTreesFindTheLeavesOfTheirTrees(t *testing.T) {
	const dims, classes = 3, 4
	var trees []*tree
	for _, depth := range []int{1, 40, 2, 7, maxWalkDepth, maxWalkDepth + 1, 3, 3, 12, 5, 1, 30, 6} {
		trees = append(trees, caterpillar(depth, dims, classes, false), caterpillar(depth, dims, classes, true))
	}
	var f flatTrees
	for _, tr := range trees {
		f.add(tr, func(n *treeNode) int32 { return int32(n.class) })
	}
	one := f // each tree at its own index, before sorting
	f.sortByDepth()
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		x := []float64{r.Float64()*1.2 - 0.1, r.Float64()*1.2 - 0.1, r.Float64()*1.2 - 0.1}
		want := make([]int32, classes)
		for i, tr := range trees {
			c := int32(tr.leaf(x).class)
			if got := one.leaf(i, x); got != c {
				t.Fatalf("tree %d (depth %d), x %v: leaf of class %d, the tree's is %d", i, one.depth[i], x, got, c)
			}
			want[c]++
		}
		var lanes [4][maxFastClasses]int32
		f.vote(x, &lanes)
		for c := range classes {
			if got := lanes[0][c] + lanes[1][c] + lanes[2][c] + lanes[3][c]; got != want[c] {
				t.Fatalf("x %v: %d votes for class %d, the trees give it %d", x, got, c, want[c])
			}
		}
	}
}
