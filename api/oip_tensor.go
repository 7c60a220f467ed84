package api

import (
	"fmt"
	"math"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// elementType is what a numeric OIP datatype allows: values in [lo, hi],
// integers only for the INT and UINT types. Values are kept as the float64
// the JSON text denotes; an FP32 or FP16 tensor is not rounded to its
// precision, so it predicts as the same numbers sent natively would.
type elementType struct {
	integral bool
	lo, hi   float64
}

// numericType returns the element type of a numeric datatype, or false for
// BOOL, BYTES and names the spec does not define.
func numericType(datatype string) (elementType, bool) {
	switch datatype {
	case "FP64":
		return elementType{lo: -math.MaxFloat64, hi: math.MaxFloat64}, true
	case "FP32":
		return elementType{lo: -math.MaxFloat32, hi: math.MaxFloat32}, true
	case "FP16":
		return elementType{lo: -65504, hi: 65504}, true
	case "INT8":
		return elementType{true, math.MinInt8, math.MaxInt8}, true
	case "INT16":
		return elementType{true, math.MinInt16, math.MaxInt16}, true
	case "INT32":
		return elementType{true, math.MinInt32, math.MaxInt32}, true
	case "INT64":
		return elementType{true, math.MinInt64, math.MaxInt64}, true
	case "UINT8":
		return elementType{true, 0, math.MaxUint8}, true
	case "UINT16":
		return elementType{true, 0, math.MaxUint16}, true
	case "UINT32":
		return elementType{true, 0, math.MaxUint32}, true
	case "UINT64":
		return elementType{true, 0, math.MaxUint64}, true
	}
	return elementType{}, false
}

// tensorDecoder turns an infer request's input tensors into a model.Batch.
// Two layouts are accepted:
//
//   - one tensor per feature, named after it, shape [N] or [N, 1]: a
//     numeric datatype (FP*, INT*, UINT*) for a number feature, BYTES for a
//     string feature; every feature exactly once, all with the same N;
//   - a single tensor whose name is no feature's, shape [N, F] in feature
//     order, numeric, when every feature is a number.
//
// Data is flat in row-major order or nested as the shape says, as the
// protocol allows both. Elements must be of the datatype's JSON kind and
// range (no coercion of strings to numbers or back). Every mistake is a
// CodeMalformed error (400, the protocol's status) naming the input, and
// the element when one is at fault. It holds reusable buffers and serves
// one request at a time.
type tensorDecoder struct {
	sc    jsonScanner
	batch model.Batch
	strs  []string // Strs's buffer, kept while Strs is nil
	seen  []bool

	// The tensor being read.
	in       *inferInput
	features []model.Column
	total    int // elements its shape holds
	count    int // elements read so far
	base     int // batch index of element 0
	stride   int // batch index step between elements
	feature  int // its feature, or -1 for the [N, F] layout
	elem     elementType
	isNum    bool
}

// release drops references into the request.
func (t *tensorDecoder) release() {
	clear(t.batch.Strs)
	t.sc.data, t.in, t.features = nil, nil, nil
}

// decode reads inputs for features into t.batch; limit is the most rows a
// request may hold (0: no limit).
func (t *tensorDecoder) decode(inputs []inferInput, features []model.Column, limit int) error {
	t.features = features
	if t.batch.Strs != nil {
		t.strs = t.batch.Strs[:0] // keep the grown buffer
	}
	t.batch = model.Batch{Nums: t.batch.Nums[:0]}
	if len(inputs) == 1 && featureIndex(features, []byte(inputs[0].Name), 0) < 0 {
		return t.matrix(&inputs[0], limit)
	}
	t.seen = append(t.seen[:0], make([]bool, len(features))...)
	for k := range inputs {
		in := &inputs[k]
		i := featureIndex(features, []byte(in.Name), k)
		switch {
		case i < 0:
			return model.Errorf(model.CodeMalformed, "unknown input %q: the inputs are one tensor per feature (%s), or a single [N, %d] tensor",
				clip(in.Name), featureNames(features), len(features))
		case t.seen[i]:
			return model.Errorf(model.CodeMalformed, "input %q given twice", in.Name)
		}
		t.seen[i] = true
		if err := t.column(in, i, limit); err != nil {
			return err
		}
	}
	for i, seen := range t.seen {
		if !seen {
			return model.Errorf(model.CodeMalformed, "missing input %q: send one tensor per feature (%s)", features[i].Name, featureNames(features))
		}
	}
	return nil
}

// column reads the tensor of feature i.
func (t *tensorDecoder) column(in *inferInput, i, limit int) error {
	f := t.features[i]
	if len(in.Shape) != 1 && (len(in.Shape) != 2 || in.Shape[1] != 1) {
		return model.Errorf(model.CodeMalformed, "input %q: shape %s: want [N] or [N, 1]", in.Name, shapeString(in.Shape))
	}
	t.isNum = f.Type != model.ColumnString
	if t.isNum {
		elem, ok := numericType(in.Datatype)
		if !ok {
			return model.Errorf(model.CodeMalformed, "input %q: feature %s is a number: want datatype FP64, FP32, FP16, INT* or UINT*, got %q", in.Name, f.Name, clip(in.Datatype))
		}
		t.elem = elem
	} else if in.Datatype != datatypeBytes {
		return model.Errorf(model.CodeMalformed, "input %q: feature %s is a string: want datatype BYTES, got %q", in.Name, f.Name, clip(in.Datatype))
	}
	if t.batch.Rows == 0 {
		if err := t.rows(in, in.Shape[0], 1, limit); err != nil {
			return err
		}
	} else if in.Shape[0] != int64(t.batch.Rows) {
		return model.Errorf(model.CodeMalformed, "input %q has %d rows; the inputs before it have %d", in.Name, in.Shape[0], t.batch.Rows)
	}
	t.base, t.stride, t.feature, t.total = i, len(t.features), i, t.batch.Rows
	return t.data(in)
}

// matrix reads the single [N, F] tensor of every feature.
func (t *tensorDecoder) matrix(in *inferInput, limit int) error {
	f := len(t.features)
	for _, c := range t.features {
		if c.Type == model.ColumnString {
			return model.Errorf(model.CodeMalformed, "input %q: the model has a string feature (%s), which a numeric [N, F] tensor cannot carry: send one tensor per feature named after it (%s)",
				clip(in.Name), c.Name, featureNames(t.features))
		}
	}
	if len(in.Shape) != 2 || in.Shape[1] != int64(f) {
		return model.Errorf(model.CodeMalformed, "input %q: shape %s: want [N, %d] (the model's features: %s), or one tensor per feature named after it",
			clip(in.Name), shapeString(in.Shape), f, featureNames(t.features))
	}
	elem, ok := numericType(in.Datatype)
	if !ok {
		return model.Errorf(model.CodeMalformed, "input %q: want datatype FP64, FP32, FP16, INT* or UINT*, got %q", clip(in.Name), clip(in.Datatype))
	}
	if err := t.rows(in, in.Shape[0], f, limit); err != nil {
		return err
	}
	t.elem, t.isNum = elem, true
	t.base, t.stride, t.feature, t.total = 0, 1, -1, t.batch.Rows*f
	return t.data(in)
}

// rows checks the batch size n of a tensor with width elements per row and
// sizes the batch for it. The data must hold at least one byte per element,
// so a shape cannot make the batch larger than the body.
func (t *tensorDecoder) rows(in *inferInput, n int64, width, limit int) error {
	switch {
	case n < 1:
		return model.Errorf(model.CodeMalformed, "input %q: shape %s: want at least one row", clip(in.Name), shapeString(in.Shape))
	case limit > 0 && n > int64(limit):
		return model.Errorf(model.CodeMalformed, "input %q: %d rows: the limit is %d per request", clip(in.Name), n, limit)
	case n > int64(len(in.Data)) || n*int64(width) > int64(len(in.Data)):
		return model.Errorf(model.CodeMalformed, "input %q: shape %s: data holds fewer elements", clip(in.Name), shapeString(in.Shape))
	}
	f := len(t.features)
	t.batch.Rows = int(n)
	t.batch.Nums = grow(t.batch.Nums[:0], t.batch.Rows*f)
	for _, c := range t.features {
		if c.Type == model.ColumnString {
			t.batch.Strs = grow(t.strs[:0], t.batch.Rows*f)
			break
		}
	}
	return nil
}

// data reads the current tensor's data, flat or nested as its shape says.
func (t *tensorDecoder) data(in *inferInput) error {
	t.in, t.count = in, 0
	t.sc.data, t.sc.pos = in.Data, 0
	switch t.sc.peek() {
	case '[':
	case 0, 'n':
		return model.Errorf(model.CodeMalformed, "input %q: data: required, an array", clip(in.Name))
	default:
		return model.Errorf(model.CodeMalformed, "input %q: data: must be an array, got %s", clip(in.Name), t.sc.kindAt())
	}
	if err := t.level(0); err != nil {
		return err
	}
	if err := t.sc.end(); err != nil {
		return t.syntax(err)
	}
	if t.count != t.total {
		return model.Errorf(model.CodeMalformed, "input %q: data holds %d elements; shape %s needs %d", clip(in.Name), t.count, shapeString(in.Shape), t.total)
	}
	return nil
}

// syntax names the input in a syntax error of its data. (encoding/json
// has checked the whole body already, so this is defence only.)
func (t *tensorDecoder) syntax(err error) error {
	if e, ok := err.(*model.Error); ok && e.Code == model.CodeMalformed {
		return model.Errorf(model.CodeMalformed, "input %q: data: %s", clip(t.in.Name), e.Message)
	}
	return err
}

// level reads one array of the data at the given depth: either nested
// arrays, one per index of that dimension, or values, which at depth 0 are
// the flat form of the whole tensor and deeper are the last dimension.
func (t *tensorDecoder) level(depth int) error {
	s := &t.sc
	shape := t.in.Shape
	n := 0
	nested := false
	if !s.open(']') {
		nested = s.peek() == '['
		for {
			if (s.peek() == '[') != nested {
				return t.fail("mixes arrays and values at one level")
			}
			if nested {
				if depth+1 >= len(shape) {
					return t.fail("nested deeper than shape " + shapeString(shape))
				}
				if err := t.level(depth + 1); err != nil {
					return err
				}
			} else if err := t.element(); err != nil {
				return err
			}
			n++
			more, err := s.next(']')
			if err != nil {
				return t.syntax(err)
			}
			if !more {
				break
			}
		}
	}
	if depth > 0 && !nested && depth != len(shape)-1 {
		return t.fail("nested less deeply than shape " + shapeString(shape))
	}
	if (nested || depth > 0) && int64(n) != shape[depth] {
		return t.fail(fmt.Sprintf("dimension %d has %d elements; shape %s says %d", depth, n, shapeString(shape), shape[depth]))
	}
	return nil
}

// element reads one value into the batch.
func (t *tensorDecoder) element() error {
	s := &t.sc
	if t.count >= t.total {
		return t.fail(fmt.Sprintf("more elements than shape %s holds", shapeString(t.in.Shape)))
	}
	at := t.base + t.count*t.stride
	c := s.peek()
	switch {
	case t.isNum && isNumberStart(c):
		v, err := s.number()
		if err != nil {
			return t.syntax(err)
		}
		switch {
		case math.IsInf(v, 0) || v < t.elem.lo || v > t.elem.hi:
			return t.elementError(fmt.Sprintf("out of the range of %s", t.in.Datatype))
		case t.elem.integral && v != math.Trunc(v):
			return t.elementError("must be an integer for " + t.in.Datatype)
		}
		t.batch.Nums[at] = v
	case !t.isNum && c == '"':
		v, err := s.str()
		if err != nil {
			return t.syntax(err)
		}
		t.batch.Strs[at] = string(v)
	default:
		want := "a number"
		if !t.isNum {
			want = "a string"
		}
		return t.elementError("must be " + want + ", got " + s.kindAt())
	}
	t.count++
	return nil
}

// elementError is the error of the current element: by index in a feature's
// tensor, by [row, column] and feature in the [N, F] tensor.
func (t *tensorDecoder) elementError(msg string) error {
	if t.feature >= 0 {
		return model.Errorf(model.CodeMalformed, "input %q: element %d: %s", clip(t.in.Name), t.count, msg)
	}
	f := len(t.features)
	return model.Errorf(model.CodeMalformed, "input %q: element [%d, %d] (feature %s): %s",
		clip(t.in.Name), t.count/f, t.count%f, t.features[t.count%f].Name, msg)
}

// fail is a structural error of the current tensor's data.
func (t *tensorDecoder) fail(msg string) error {
	return model.Errorf(model.CodeMalformed, "input %q: data: %s", clip(t.in.Name), msg)
}

// shapeString renders a shape as [2, 4].
func shapeString(shape []int64) string {
	if len(shape) > 8 {
		return fmt.Sprintf("of %d dimensions", len(shape))
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
