package golearn

import (
	"encoding/json"
	"fmt"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"strconv"
	"strings"
)

// maxTreeNodes bounds the nodes an artifact's trees may have in all, so a
// corrupt payload cannot make Load allocate without limit.
const maxTreeNodes = 1 << 24

// jsonNode reads golearn's tree JSON (see payloadTrees) without golearn's
// own unmarshalling, which panics on malformed input.
type jsonNode struct {
	Type      int                  `json:"node_type"`
	Children  map[string]*jsonNode `json:"children"`
	ClassDist map[string]int       `json:"class_dist"`
	Class     string               `json:"class_string"`
	Rule      *struct {
		Attr json.RawMessage `json:"split_attribute"`
		Val  float64         `json:"split_val"`
	} `json:"decision_tree_rule"`
}

// tree is a golearn tree compiled for prediction.
type tree struct {
	nodes []treeNode // the root first
}

type treeNode struct {
	col   int       // split column, or -1 for a leaf
	split float64   // values above go to next[1], others to next[0]
	next  [2]int    // child nodes
	class int       // a leaf's class (golearn's Class)
	probs []float64 // a leaf's class distribution, normalized
}

// leaf returns the leaf x reaches.
func (t *tree) leaf(x []float64) *treeNode {
	n := &t.nodes[0]
	for n.col >= 0 {
		side := 0
		if x[n.col] > n.split {
			side = 1
		}
		n = &t.nodes[n.next[side]]
	}
	return n
}

// loadTrees reads a trees payload into compiled trees, checking every
// node: an artifact may be corrupt.
func loadTrees(payload []byte, classes []string, dims int) ([]*tree, error) {
	var roots []*jsonNode
	if err := json.Unmarshal(payload, &roots); err != nil {
		return nil, fmt.Errorf("trees: %w", err)
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("trees: none")
	}
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		index[c] = i
	}
	budget := maxTreeNodes
	out := make([]*tree, len(roots))
	for i, root := range roots {
		t := &tree{}
		if _, err := t.compile(root, index, dims, &budget); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		out[i] = t
	}
	return out, nil
}

// compile appends n and its subtree and returns n's index.
func (t *tree) compile(n *jsonNode, classes map[string]int, dims int, budget *int) (int, error) {
	if n == nil {
		return 0, fmt.Errorf("a null node")
	}
	if *budget--; *budget < 0 {
		return 0, fmt.Errorf("more than %d nodes", maxTreeNodes)
	}
	at := len(t.nodes)
	t.nodes = append(t.nodes, treeNode{col: -1})
	if n.Children == nil { // golearn predicts a node without children by its class
		class, probs, err := leafClass(n, classes)
		if err != nil {
			return 0, err
		}
		t.nodes[at].class, t.nodes[at].probs = class, probs
		return at, nil
	}
	col, split, err := splitOf(n, dims)
	if err != nil {
		return 0, err
	}
	next := [2]int{-1, -1}
	found := 0
	for side, key := range [2]string{"0", "1"} {
		child, ok := n.Children[key]
		if !ok {
			continue
		}
		found++
		if next[side], err = t.compile(child, classes, dims, budget); err != nil {
			return 0, err
		}
	}
	if found != len(n.Children) {
		return 0, fmt.Errorf("a split with children other than 0 and 1")
	}
	// golearn sends a row whose side has no child to the one child there
	// is (DecisionTreeNode.Predict's fallback, deterministic with one).
	switch {
	case next[0] < 0 && next[1] < 0:
		return 0, fmt.Errorf("a split without children")
	case next[0] < 0:
		next[0] = next[1]
	case next[1] < 0:
		next[1] = next[0]
	}
	t.nodes[at].col, t.nodes[at].split, t.nodes[at].next = col, split, next
	return at, nil
}

// splitOf returns the encoded column and threshold a node splits on.
func splitOf(n *jsonNode, dims int) (int, float64, error) {
	if n.Rule == nil {
		return 0, 0, fmt.Errorf("a split without a rule")
	}
	var attr struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(n.Rule.Attr, &attr); err != nil || attr.Type != "float" {
		return 0, 0, fmt.Errorf("a split on %s, not a float attribute", n.Rule.Attr)
	}
	digits, ok := strings.CutPrefix(attr.Name, "x")
	col, err := strconv.Atoi(digits)
	if !ok || err != nil || col < 0 || col >= dims || attrName(col) != attr.Name {
		return 0, 0, fmt.Errorf("a split on unknown attribute %q", attr.Name)
	}
	return col, n.Rule.Val, nil
}

// leafClass returns a leaf's class and its normalized distribution.
func leafClass(n *jsonNode, classes map[string]int) (int, []float64, error) {
	class, ok := classes[n.Class]
	if !ok {
		return 0, nil, fmt.Errorf("a leaf of unknown class %q", n.Class)
	}
	probs := make([]float64, len(classes))
	total := 0
	for c, count := range n.ClassDist {
		i, ok := classes[c]
		if !ok || count < 0 || count > 1<<40 {
			return 0, nil, fmt.Errorf("a leaf counting %d of class %q", count, c)
		}
		probs[i] = float64(count)
		total += count
	}
	if total == 0 {
		return 0, nil, fmt.Errorf("a leaf without rows")
	}
	for i := range probs {
		probs[i] /= float64(total)
	}
	return class, probs, nil
}

// singleTree predicts with a decision tree: its leaf's class, and the
// leaf's class distribution as probabilities (golearn's PredictProba).
type singleTree struct{ t *tree }

func (s singleTree) predict(x []float64) outcome {
	n := s.t.leaf(x)
	return outcome{class: n.class, probs: n.probs}
}

// forest predicts by majority vote of its trees' leaf classes, the first
// class in class order on ties; the probabilities are the vote shares.
type forest struct {
	trees   []*tree
	classes int
}

func (f forest) predict(x []float64) outcome {
	votes := make([]float64, f.classes)
	for _, t := range f.trees {
		votes[t.leaf(x).class]++
	}
	for i := range votes {
		votes[i] /= float64(len(f.trees))
	}
	return outcome{class: learn.Argmax(votes), probs: votes}
}

func loadDecisionTree(h *header, payload []byte) (predictor, error) {
	ts, err := loadTrees(payload, h.Classes, h.Dims)
	if err != nil {
		return nil, err
	}
	if len(ts) != 1 {
		return nil, fmt.Errorf("a decision tree payload with %d trees", len(ts))
	}
	return singleTree{ts[0]}, nil
}

func loadForest(h *header, payload []byte) (predictor, error) {
	ts, err := loadTrees(payload, h.Classes, h.Dims)
	if err != nil {
		return nil, err
	}
	return forest{trees: ts, classes: len(h.Classes)}, nil
}
