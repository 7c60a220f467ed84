package trees

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Format is the format name of this package's artifacts in their
// envelope (see learn.Envelope).
const Format = "trees/1"

// maxNodes bounds the nodes of an artifact's trees in all, so a corrupt
// payload cannot make a load allocate without limit.
const maxNodes = 1 << 26

// description is what the envelope records of a model, beyond what every
// model records.
type description struct {
	Kind     string    `json:"kind"`
	Trees    int       `json:"trees"`
	Width    int       `json:"width"`
	Outputs  int       `json:"outputs,omitempty"`
	Baseline []float64 `json:"baseline,omitempty"`
}

// payload is a model's bytes, compact because a forest of deep trees has
// millions of nodes. All numbers are uvarints but for float64s (8 bytes,
// little-endian):
//
//	for each encoded column: the count of its thresholds, then each
//	for each tree: its node count, then each node in order:
//	  a split: 1+2·column+missingRight, the threshold's index in the
//	    column's (the count itself: every number goes left), then its
//	    children's distances ahead of it
//	  a leaf: 0, then its values: a classification tree's or forest's
//	    weighted class counts (its values are their shares), else one
//	    float64
//
// A split's threshold is always one of its column's, so a node needs a
// byte for it, not eight; class counts are whole numbers.
type payload struct {
	thresholds [][]float64
	counts     bool // leaves hold class counts
	out        []byte
}

// marshalPayload writes m, whose splits are on thresholds and whose
// classification leaves hold class counts, as grown.
func marshalPayload(m *forestModel, thresholds [][]float64) ([]byte, error) {
	p := &payload{thresholds: thresholds, counts: m.kind != kindBoost && m.classes > 0}
	size := 0
	for _, t := range m.trees {
		size += 4*len(t.Nodes) + 8*len(t.Values)
	}
	p.out = make([]byte, 0, size)
	for _, col := range thresholds {
		p.out = binary.AppendUvarint(p.out, uint64(len(col)))
		for _, v := range col {
			p.out = binary.LittleEndian.AppendUint64(p.out, math.Float64bits(v))
		}
	}
	for i := range m.trees {
		if err := p.tree(&m.trees[i], m.width); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
	}
	return p.out, nil
}

func (p *payload) tree(t *tree, width int) error {
	p.out = binary.AppendUvarint(p.out, uint64(len(t.Nodes)))
	for i, n := range t.Nodes {
		if n.Feature < 0 {
			p.out = append(p.out, 0)
			for _, v := range t.Values[int(n.Leaf)*width : int(n.Leaf+1)*width] {
				if p.counts {
					p.out = binary.AppendUvarint(p.out, uint64(v))
				} else {
					p.out = binary.LittleEndian.AppendUint64(p.out, math.Float64bits(v))
				}
			}
			continue
		}
		col := p.thresholds[n.Feature]
		at, found := slices.BinarySearch(col, n.Threshold)
		if !found && !(at == len(col) && n.Threshold == math.MaxFloat64) {
			return fmt.Errorf("node %d: threshold %v is not one of column %d's", i, n.Threshold, n.Feature)
		}
		p.out = binary.AppendUvarint(p.out, 1+2*uint64(n.Feature)+uint64(b2u8(n.MissingRight)))
		p.out = binary.AppendUvarint(p.out, uint64(at))
		p.out = binary.AppendUvarint(p.out, uint64(int(n.Left)-i))
		p.out = binary.AppendUvarint(p.out, uint64(int(n.Right)-i))
	}
	return nil
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// load reads an artifact of this package back: a CodeCorrupt error for
// bytes that are not one, never a panic (FuzzLoad).
func load(artifact []byte) (*learn.Envelope, *forestModel, error) {
	var d description
	env, payload, err := learn.ParseEnvelope(artifact, &d)
	if err == nil && env.Format != Format {
		err = fmt.Errorf("format %q, not %q", env.Format, Format)
	}
	var m *forestModel
	if err == nil {
		m, err = readModel(env, &d, payload)
	}
	if err != nil {
		return nil, nil, model.Errorf(model.CodeCorrupt, "artifact: %v", err)
	}
	return env, m, nil
}

// readModel checks a description against its envelope and reads the
// trees it describes.
func readModel(env *learn.Envelope, d *description, payload []byte) (*forestModel, error) {
	classes := len(env.Classes)
	m := &forestModel{kind: d.Kind, task: env.Task, classes: classes, width: d.Width, outputs: d.Outputs, baseline: d.Baseline}
	wantWidth, wantOutputs := max(classes, 1), 0
	switch d.Kind {
	case kindBoost:
		wantWidth, wantOutputs = 1, 1
		if classes > 2 {
			wantOutputs = classes
		}
		if env.Algorithm != "gradient_boosting" || len(d.Baseline) != wantOutputs || !learn.AllFinite(d.Baseline) {
			return nil, fmt.Errorf("boosting: %s with %d baseline scores", env.Algorithm, len(d.Baseline))
		}
	case kindForest, kindTree:
		if want := map[string]string{kindForest: "random_forest", kindTree: "decision_tree"}[d.Kind]; env.Algorithm != want || d.Baseline != nil {
			return nil, fmt.Errorf("a %s model of %s", d.Kind, env.Algorithm)
		}
	default:
		return nil, fmt.Errorf("unknown kind %q", d.Kind)
	}
	switch {
	case d.Width != wantWidth || d.Outputs != wantOutputs:
		return nil, fmt.Errorf("width %d and %d outputs, want %d and %d", d.Width, d.Outputs, wantWidth, wantOutputs)
	case d.Trees < 1 || d.Trees > len(payload)/8 || d.Kind == kindTree && d.Trees != 1:
		return nil, fmt.Errorf("%d trees in %d bytes", d.Trees, len(payload))
	case d.Kind == kindBoost && d.Trees%wantOutputs != 0:
		return nil, fmt.Errorf("%d trees for %d outputs", d.Trees, wantOutputs)
	}
	r := &reader{p: payload, counts: d.Kind != kindBoost && classes > 0, width: d.Width, budget: maxNodes}
	thresholds, err := r.thresholds(env.Dims)
	if err != nil {
		return nil, err
	}
	m.thresholds = thresholds
	for i := range d.Trees {
		t, err := r.tree(thresholds)
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		m.trees = append(m.trees, t)
	}
	if len(r.p) != 0 {
		return nil, fmt.Errorf("%d bytes after the trees", len(r.p))
	}
	return m, nil
}

// reader reads a payload, checking everything: an artifact may be corrupt.
type reader struct {
	p      []byte
	counts bool
	width  int
	budget int
}

func (r *reader) uvarint(limit uint64) (uint64, error) {
	v, n := binary.Uvarint(r.p)
	if n <= 0 || v > limit {
		return 0, fmt.Errorf("a bad number")
	}
	r.p = r.p[n:]
	return v, nil
}

func (r *reader) float() (float64, error) {
	if len(r.p) < 8 {
		return 0, fmt.Errorf("truncated")
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.p))
	r.p = r.p[8:]
	if !learn.Finite(v) {
		return 0, fmt.Errorf("a number that is not finite")
	}
	return v, nil
}

// thresholds reads every column's thresholds: at most maxBins-1,
// ascending.
func (r *reader) thresholds(dims int) ([][]float64, error) {
	out := make([][]float64, dims)
	for j := range out {
		n, err := r.uvarint(maxBins - 1)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", j, err)
		}
		out[j] = make([]float64, n)
		for k := range out[j] {
			if out[j][k], err = r.float(); err != nil {
				return nil, fmt.Errorf("column %d: %w", j, err)
			}
			if k > 0 && !(out[j][k] > out[j][k-1]) {
				return nil, fmt.Errorf("column %d: thresholds not ascending", j)
			}
		}
	}
	return out, nil
}

// tree reads one tree and checks it is one: every node but the root the
// child of exactly one split before it, columns among the dims.
func (r *reader) tree(thresholds [][]float64) (tree, error) {
	count, err := r.uvarint(uint64(min(r.budget, len(r.p))))
	if err != nil || count == 0 {
		return tree{}, fmt.Errorf("%d nodes: %v", count, err)
	}
	r.budget -= int(count)
	t := tree{Nodes: make([]node, count)}
	parents := make([]bool, count)
	for i := range t.Nodes {
		n, err := r.node(i, int(count), thresholds, parents)
		if err != nil {
			return tree{}, fmt.Errorf("node %d: %w", i, err)
		}
		if n.Feature < 0 {
			n.Leaf = int32(len(t.Values) / r.width)
			if t.Values, err = r.values(t.Values); err != nil {
				return tree{}, fmt.Errorf("node %d: %w", i, err)
			}
		}
		t.Nodes[i] = n
	}
	if slices.Contains(parents[1:], false) {
		return tree{}, fmt.Errorf("a node no split reaches")
	}
	t.depth = depthOf(t.Nodes)
	return t, nil
}

func (r *reader) node(i, count int, thresholds [][]float64, parents []bool) (node, error) {
	tag, err := r.uvarint(2 * uint64(len(thresholds)))
	if err != nil {
		return node{}, err
	}
	if tag == 0 {
		return node{Feature: -1, Left: -1, Right: -1}, nil
	}
	n := node{Feature: int32((tag - 1) / 2), MissingRight: (tag-1)%2 == 1}
	col := thresholds[n.Feature]
	at, err := r.uvarint(uint64(len(col)))
	if err != nil {
		return node{}, err
	}
	n.Threshold = math.MaxFloat64
	if int(at) < len(col) {
		n.Threshold = col[at]
	}
	left, err1 := r.uvarint(uint64(count - 1 - i))
	right, err2 := r.uvarint(uint64(count - 1 - i))
	if err1 != nil || err2 != nil || left == 0 || right == 0 || left == right {
		return node{}, fmt.Errorf("bad children")
	}
	n.Left, n.Right = int32(i+int(left)), int32(i+int(right))
	if parents[n.Left] || parents[n.Right] {
		return node{}, fmt.Errorf("a child of two splits")
	}
	parents[n.Left], parents[n.Right] = true, true
	return n, nil
}

// values appends a leaf's values to values.
func (r *reader) values(values []float64) ([]float64, error) {
	if !r.counts {
		v, err := r.float()
		return append(values, v), err
	}
	start := len(values)
	total := 0.0
	for range r.width {
		c, err := r.uvarint(1 << 40)
		if err != nil {
			return nil, err
		}
		values = append(values, float64(c))
		total += float64(c)
	}
	if total == 0 {
		return nil, fmt.Errorf("a leaf without rows")
	}
	shares(values[start:])
	return values, nil
}
