package trees

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// cartLearner fits decision_tree and random_forest with engine cart.
type cartLearner struct{ forest bool }

// Units implements learn.Learner: a forest's trees, else 1.
func (l *cartLearner) Units(params map[string]any) int {
	if l.forest {
		return params["trees"].(int)
	}
	return 1
}

// Fit implements learn.Learner. A forest's trees are grown on f.Threads
// goroutines, each from its own random stream (a seed drawn for it from
// the fit's stream), so the model does not depend on which goroutine grew
// which tree.
func (l *cartLearner) Fit(ctx context.Context, f *learn.Fit) (*learn.Fitted, error) {
	fd := prepare(f, maxBins)
	params := f.Spec.Params
	p := cartParams{
		criterion:   params["criterion"].(string),
		maxDepth:    params["max_depth"].(int),
		minSplit:    params["min_samples_split"].(int),
		minLeaf:     params["min_samples_leaf"].(int),
		maxFeatures: model.FeaturesPerSplit(params["max_features"], len(fd.data.groups)),
	}
	if p.criterion == criterionEntropy {
		fd.data.xlogx = xlogxTable(fd.data.b.rows)
	}
	n := 1
	if l.forest {
		n = params["trees"].(int)
	}
	rng := learn.NewRand(f.Spec.Validation.Seed, learn.StreamFit+uint64(f.Index))
	seeds := make([]uint64, n)
	for t := range seeds {
		seeds[t] = rng.Uint64()
	}
	grownTrees, oob, err := l.growAll(ctx, fd.data, p, seeds, f)
	if err != nil {
		return nil, err
	}
	m := &forestModel{kind: kindTree, task: f.Spec.Task, classes: fd.data.classes, width: max(fd.data.classes, 1)}
	for _, g := range grownTrees {
		m.trees = append(m.trees, tree{Nodes: g.nodes, Values: g.values})
	}
	fitted := &learn.Fitted{Importances: importances(grownTrees, fd.data.groups)}
	if l.forest {
		m.kind = kindForest
		fitted.OutOfBag = outOfBag(fd.data, grownTrees, oob)
		sortByDepth(m.trees)
	}
	if err := fd.finish(m, fitted); err != nil {
		return nil, err
	}
	return fitted, nil
}

// growAll grows a tree per seed, on up to f.Threads goroutines; a forest's
// tree t is grown on the bootstrap sample seeds[t] draws, a decision tree
// on every row. For a forest it returns oob[t][row], the leaf tree t sends
// a row its sample left out to, or -1 for a row in the sample: found right
// after the tree is grown, while it is in the cache.
func (l *cartLearner) growAll(ctx context.Context, d *cartData, p cartParams, seeds []uint64, f *learn.Fit) ([]*grown, [][]int32, error) {
	out := make([]*grown, len(seeds))
	oob := make([][]int32, len(seeds))
	next := make(chan int, len(seeds))
	for t := range seeds {
		next <- t
	}
	close(next)
	var wg sync.WaitGroup
	var failed atomic.Bool // a tree failed: the others need not be grown
	var done atomic.Int64
	errs := make([]error, max(1, min(f.Threads, len(seeds))))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGrower(d, p)
			for t := range next {
				if failed.Load() {
					return
				}
				rng := rand.New(rand.NewPCG(seeds[t], 0))
				w := make([]int32, d.b.rows)
				if l.forest {
					for range d.b.rows {
						w[learn.Intn(rng, d.b.rows)]++
					}
				} else {
					for r := range w {
						w[r] = 1
					}
				}
				tr, err := g.grow(ctx, w, rng)
				if err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				out[t] = tr
				if l.forest {
					oob[t] = tr.outOfBagLeaves(d.b, w)
				}
				f.Progress(int(done.Add(1)))
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return out, oob, nil
}

// outOfBagLeaves returns the leaf of each row left out of the tree's
// sample (weight 0), and -1 for the others.
func (t *grown) outOfBagLeaves(b *binned, w []int32) []int32 {
	leaves := make([]int32, len(w))
	for r, n := range w {
		leaves[r] = -1
		if n == 0 {
			leaves[r] = t.nodes[t.binnedLeaf(b, r)].Leaf
		}
	}
	return leaves
}

// importances returns each input feature's share of the trees' impurity
// decrease: per tree normalized to 1, averaged over the trees that split
// at all, normalized again (scikit-learn's feature_importances_), a
// string feature's one-hot columns added up. Sums are in tree order.
func importances(ts []*grown, groups [][]int) []float64 {
	dims := len(ts[0].importance)
	mean := make([]float64, dims)
	splitting := 0
	for _, t := range ts {
		total := 0.0
		for _, v := range t.importance {
			total += v
		}
		if total <= 0 {
			continue
		}
		splitting++
		for j, v := range t.importance {
			mean[j] += v / total
		}
	}
	out := make([]float64, len(groups))
	if splitting == 0 {
		return out // no tree split: every feature contributed nothing
	}
	total := 0.0
	for i, cols := range groups {
		for _, j := range cols {
			out[i] += mean[j]
		}
		total += out[i]
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

// outOfBag scores a forest on its training rows, each predicted by the
// trees whose bootstrap sample left it out (their class shares averaged,
// or their values), over the rows some tree left out. Each row's sum is
// taken in tree order.
func outOfBag(d *cartData, ts []*grown, oob [][]int32) *model.OutOfBagScore {
	width := max(d.classes, 1)
	values := make([][]float64, len(ts)) // each tree's leaf values, as predicted
	for t, tr := range ts {
		values[t] = slices.Clone(tr.values)
		if d.classes > 0 {
			for leaf := 0; leaf < len(values[t]); leaf += width {
				shares(values[t][leaf : leaf+width])
			}
		}
	}
	var truthC, predC []int
	var truthV, predV []float64
	sum := make([]float64, width)
	for r := range d.b.rows {
		clear(sum)
		votes := 0
		for t := range ts {
			if leaf := int(oob[t][r]); leaf >= 0 {
				votes++
				for k, v := range values[t][leaf*width : (leaf+1)*width] {
					sum[k] += v
				}
			}
		}
		switch {
		case votes == 0:
		case d.classes > 0:
			truthC, predC = append(truthC, int(d.y[r])), append(predC, learn.Argmax(sum))
		default:
			truthV, predV = append(truthV, d.v[r]), append(predV, sum[0]/float64(votes))
		}
	}
	if d.classes > 0 {
		if len(truthC) == 0 {
			return nil
		}
		correct := 0
		for i := range truthC {
			if truthC[i] == predC[i] {
				correct++
			}
		}
		return &model.OutOfBagScore{Metric: "accuracy", Score: float64(correct) / float64(len(truthC)), Rows: len(truthC)}
	}
	if len(truthV) == 0 {
		return nil
	}
	return &model.OutOfBagScore{Metric: "r2", Score: learn.Regression(truthV, predV).R2, Rows: len(truthV)}
}

// binnedLeaf returns the node training row r of b reaches.
func (t *grown) binnedLeaf(b *binned, r int) int32 {
	i := int32(0)
	for {
		n := &t.nodes[i]
		if n.Feature < 0 {
			return i
		}
		if b.codes[n.Feature][r] <= t.bins[i] {
			i = n.Left
		} else {
			i = n.Right
		}
	}
}

// sortByDepth orders a forest's trees by depth, stably, so the fast
// predictor walks trees of like depth together. A forest's answer does
// not depend on the order of its trees but for the last bits of its sums,
// which are taken in stored order by every predictor.
func sortByDepth(ts []tree) {
	for i := range ts {
		ts[i].depth = depthOf(ts[i].Nodes)
	}
	slices.SortStableFunc(ts, func(a, b tree) int { return cmp.Compare(a.depth, b.depth) })
}

// depthOf returns the most splits on a path from the root. Children come
// after their parent, so one pass in order finds every node's depth.
func depthOf(nodes []node) int32 {
	depth := make([]int32, len(nodes))
	deepest := int32(0)
	for i, n := range nodes {
		if n.Feature < 0 {
			deepest = max(deepest, depth[i])
			continue
		}
		depth[n.Left], depth[n.Right] = depth[i]+1, depth[i]+1
	}
	return deepest
}
