package golearn

import (
	"context"
	"encoding/json"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sjwhitworth/golearn/trees"
)

// payloadTrees is the payload of the tree models: a JSON array of golearn
// trees, each exactly as golearn's DecisionTreeNode.SaveWithPrefix writes
// it under "tree" (json.Unmarshal into a trees.DecisionTreeNode reads it
// back). A decision tree has one, a forest one per tree.
const payloadTrees = "golearn-id3-json/1"

// fitDecisionTree fits one golearn ID3 tree on every training row and
// feature, with the requested split rule and pruning.
func fitDecisionTree(ctx context.Context, in *fitInput) ([]byte, error) {
	root, err := fitTree(in, learn.AllRows(len(in.x)), learn.AllRows(in.dims),
		in.params["rule"].(string), in.params["prune"].(float64), in.rng)
	if err != nil {
		return nil, err
	}
	return json.Marshal([]*trees.DecisionTreeNode{root})
}

// fitForest fits golearn's random forest as golearn does (bagged ID3
// trees with information gain, each on a bootstrap sample of the rows
// and a random subset of the features), but one tree after another from
// the model's seeded stream, so it is reproducible; golearn's own
// RandomForest fits in goroutines drawing from the global math/rand. The
// features of a tree are input features: a string feature brings all its
// one-hot columns.
func fitForest(ctx context.Context, in *fitInput) ([]byte, error) {
	n, perTree := in.params["trees"].(int), in.params["features"].(int)
	roots := make([]*trees.DecisionTreeNode, 0, n)
	for t := range n {
		if err := learn.Stopped(ctx); err != nil {
			return nil, err
		}
		if in.progress != nil {
			in.progress(t)
		}
		rows := make([]int, len(in.x))
		for i := range rows {
			rows[i] = learn.Intn(in.rng, len(in.x))
		}
		slices.Sort(rows)
		features := learn.Permutation(in.rng, len(in.groups))[:perTree]
		slices.Sort(features)
		var cols []int
		for _, f := range features {
			cols = append(cols, in.groups[f]...)
		}
		root, err := fitTree(in, rows, cols, ruleInformationGain, 0, in.rng)
		if err != nil {
			return nil, err
		}
		roots = append(roots, root)
	}
	return json.Marshal(roots)
}

// fitTree grows a golearn ID3 tree on the given training rows and encoded
// columns. With prune > 0 it holds that fraction of the rows out, drawn
// from r, and prunes the tree on them with golearn's
// DecisionTreeNode.Prune, as golearn's ID3DecisionTree.Fit does (which
// draws from the global math/rand instead). golearn's Prune reconsiders
// only nodes whose children it can find again by the split attribute's
// formatted value, which for number splits is the root alone: pruning
// either keeps the tree or makes it a single leaf.
func fitTree(in *fitInput, rows, cols []int, rule string, prune float64, r *rand.Rand) (*trees.DecisionTreeNode, error) {
	grow, held := rows, []int(nil)
	if k := int(math.Round(prune * float64(len(rows)))); prune > 0 && k >= 1 && k < len(rows) {
		p := learn.Permutation(r, len(rows))
		held, grow = pick(rows, p[:k]), pick(rows, p[k:])
	}
	var root *trees.DecisionTreeNode
	err := golearnCall("fit an ID3 tree", func() error {
		inst := treeInstances(in.x, in.y, in.classes, grow, cols)
		root = trees.InferID3Tree(inst, &splitRule{criterion: rule, classes: len(in.classes)})
		settle(root, in.classes)
		if held != nil {
			root.Prune(treeInstances(in.x, in.y, in.classes, held, cols))
		}
		return nil
	})
	return root, err
}

// pick returns rows[i] for each i of at, ascending.
func pick(rows, at []int) []int {
	out := make([]int, len(at))
	for k, i := range at {
		out[k] = rows[i]
	}
	slices.Sort(out)
	return out
}

// settle sets every node's class to its majority class, the first in
// class order on ties: golearn picks among tied classes in map order.
func settle(n *trees.DecisionTreeNode, classes []string) {
	best := -1
	for _, c := range classes {
		if count, ok := n.ClassDist[c]; ok && count > best {
			best, n.Class = count, c
		}
	}
	for _, child := range n.Children {
		settle(child, classes)
	}
}
