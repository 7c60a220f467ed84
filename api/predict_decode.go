package api

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// maxProblems bounds the field problems one answer reports: enough to fix a
// batch, not a second copy of a huge bad body. The predict decoder stops at
// it; problemFor caps every other 422 to it (see capFields).
const maxProblems = 20

// maxKeyInProblem bounds how much of an unknown key a problem repeats.
const maxKeyInProblem = 64

// instanceDecoder turns a native predict body,
//
//	{"instances": [ {"feature": value, ...} | [value, ...], ... ]}
//
// into a model.Batch laid out for the predictor's features. Each instance
// independently is an object keyed by feature name or an array in feature
// order. Number features take JSON numbers only, string features JSON
// strings only: no coercion, so "5.1", "NaN", null or true for a number
// feature are wrong types, and a number too large for float64 is not finite.
// Bad syntax is a CodeMalformed error (400); bad content is CodeInvalid
// (422) whose fields name the row and the feature: "instances[3].petal_width"
// for objects, "instances[0][2]" for arrays. It holds reusable buffers and
// serves one request at a time.
type instanceDecoder struct {
	sc       jsonScanner
	features []model.Column
	isNum    []bool
	hasStr   bool
	missing  []bool // per feature: the model takes a missing value
	// limit is the most instances a request may hold; 0 for no limit.
	limit    int
	batch    model.Batch
	strs     []string // Strs's buffer, kept while Strs is nil
	seen     []bool
	problems map[string]string
}

// reset prepares d for a body and a predictor's features; missing says,
// per feature, whether the predictor takes a missing value (nil: never).
func (d *instanceDecoder) reset(body []byte, features []model.Column, limit int, missing func(feature int) bool) {
	d.sc.data, d.sc.pos = body, 0
	d.features, d.limit, d.problems, d.hasStr = features, limit, nil, false
	d.isNum, d.missing = d.isNum[:0], d.missing[:0]
	for i, f := range features {
		num := f.Type != model.ColumnString
		d.isNum = append(d.isNum, num)
		d.hasStr = d.hasStr || !num
		d.missing = append(d.missing, missing != nil && missing(i))
	}
	d.seen = append(d.seen[:0], make([]bool, len(features))...)
	if d.batch.Strs != nil {
		d.strs = d.batch.Strs[:0] // keep the grown buffer
	}
	// Strs stays nil for a model without string features, as the Batch
	// contract allows.
	d.batch = model.Batch{Nums: d.batch.Nums[:0]}
	if d.hasStr {
		d.batch.Strs = d.strs[:0]
	}
}

// release drops references into the request, so a pooled decoder holds no
// body or strings while idle.
func (d *instanceDecoder) release() {
	clear(d.batch.Strs)
	d.sc.data, d.features, d.problems = nil, nil, nil
}

// decode reads the whole body into d.batch.
func (d *instanceDecoder) decode() error {
	s := &d.sc
	if s.peek() == 0 && s.pos >= len(s.data) {
		return model.Errorf(model.CodeMalformed, "the request body is empty; want a JSON object")
	}
	if s.peek() != '{' {
		return model.Errorf(model.CodeMalformed, "the body is not a JSON object; want {\"instances\": [...]}")
	}
	found := false
	if !s.open('}') {
		for {
			key, err := s.str()
			if err != nil {
				return err
			}
			if string(key) != "instances" {
				k := clip(string(key))
				return &model.Error{Code: model.CodeMalformed, Message: fmt.Sprintf("unknown field %q", k),
					Fields: map[string]string{k: "unknown field"}}
			}
			if found {
				return model.Errorf(model.CodeMalformed, `field "instances" given twice`)
			}
			found = true
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := d.instances(); err != nil {
				return err
			}
			more, err := s.next('}')
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	if err := s.end(); err != nil {
		return err
	}
	if !found {
		return model.Invalid(map[string]string{"instances": "required: an array of instances, each an object keyed by feature name or an array in feature order"})
	}
	return model.Invalid(d.problems)
}

// checkRows refuses the decoded rows that p refuses (model.RowChecker):
// a CodeInvalid error naming each row and feature, as decode's are.
func (d *instanceDecoder) checkRows(p model.Predictor) error {
	c, ok := p.(model.RowChecker)
	if !ok {
		return nil
	}
	for r := range d.batch.Rows {
		if i, why := c.CheckRow(&d.batch, r); i >= 0 {
			d.problem(rowKey(r)+"."+d.features[i].Name, why)
		}
	}
	return model.Invalid(d.problems)
}

// instances reads the instances array.
func (d *instanceDecoder) instances() error {
	s := &d.sc
	switch s.peek() {
	case '[':
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		return model.Invalid(map[string]string{"instances": "required: an array of instances"})
	default:
		kind := s.kindAt()
		if err := s.skip(0); err != nil {
			return err
		}
		return model.Invalid(map[string]string{"instances": "must be an array of instances, got " + kind})
	}
	if s.open(']') {
		return model.Invalid(map[string]string{"instances": "must hold at least one instance"})
	}
	for {
		if d.limit > 0 && d.batch.Rows == d.limit {
			return model.Invalid(map[string]string{"instances": fmt.Sprintf("more than %d instances: the limit is %d per request", d.limit, d.limit)})
		}
		if err := d.instance(d.batch.Rows); err != nil {
			return err
		}
		d.batch.Rows++
		if len(d.problems) >= maxProblems {
			// Enough to act on; the rest of the body is not read.
			return model.Invalid(d.problems)
		}
		more, err := s.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// instance reads row r, an object or an array, into the batch.
func (d *instanceDecoder) instance(r int) error {
	f := len(d.features)
	d.batch.Nums = grow(d.batch.Nums, f)
	if d.hasStr {
		d.batch.Strs = grow(d.batch.Strs, f)
	}
	s := &d.sc
	switch s.peek() {
	case '{':
		return d.object(r)
	case '[':
		return d.array(r)
	}
	kind := s.kindAt()
	if err := s.skip(0); err != nil {
		return err
	}
	d.problem(rowKey(r), "must be an object keyed by feature name or an array in feature order, got "+kind)
	return nil
}

// object reads an instance keyed by feature name.
func (d *instanceDecoder) object(r int) error {
	s := &d.sc
	clear(d.seen)
	if !s.open('}') {
		next := 0 // clients usually send features in order: try that first
		for {
			key, err := s.str()
			if err != nil {
				return err
			}
			i := featureIndex(d.features, key, next)
			if err := s.expect(':'); err != nil {
				return err
			}
			switch {
			case i < 0:
				d.problem(rowKey(r)+"."+clip(string(key)), "unknown feature")
				err = s.skip(0)
			case d.seen[i]:
				d.problem(rowKey(r)+"."+d.features[i].Name, "given twice")
				err = s.skip(0)
			default:
				d.seen[i], next = true, i+1
				err = d.value(r, i, false)
			}
			if err != nil {
				return err
			}
			more, err := s.next('}')
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	for i, seen := range d.seen {
		switch {
		case seen:
		case d.missing[i]:
			d.setMissing(r, i)
		default:
			d.problem(rowKey(r)+"."+d.features[i].Name, "missing")
		}
	}
	return nil
}

// setMissing records feature i of row r as missing.
func (d *instanceDecoder) setMissing(r, i int) {
	at := r*len(d.features) + i
	if d.isNum[i] {
		d.batch.Nums[at] = math.NaN()
	} else {
		d.batch.Strs[at] = ""
	}
}

// array reads an instance in feature order.
func (d *instanceDecoder) array(r int) error {
	s := &d.sc
	n := 0
	if !s.open(']') {
		for {
			if n < len(d.features) {
				if err := d.value(r, n, true); err != nil {
					return err
				}
			} else {
				if n == len(d.features) {
					d.problem(fmt.Sprintf("%s[%d]", rowKey(r), n), fmt.Sprintf("unexpected: the model has %d features (%s)", len(d.features), featureNames(d.features)))
				}
				if err := s.skip(0); err != nil {
					return err
				}
			}
			n++
			more, err := s.next(']')
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	for i := n; i < len(d.features); i++ {
		d.problem(fmt.Sprintf("%s[%d]", rowKey(r), i), "missing: feature "+d.features[i].Name)
	}
	return nil
}

// value reads the value of feature i of row r, positional in an array
// instance. A wrong type is a problem, recorded under the row and feature,
// not an error.
func (d *instanceDecoder) value(r, i int, positional bool) error {
	s := &d.sc
	c := s.peek()
	at := r*len(d.features) + i
	switch {
	case d.isNum[i] && isNumberStart(c):
		v, err := s.number()
		if err != nil {
			return err
		}
		if math.IsInf(v, 0) {
			d.valueProblem(r, i, positional, "must be a finite number")
		}
		d.batch.Nums[at] = v
		return nil
	case !d.isNum[i] && c == '"':
		v, err := s.str()
		if err != nil {
			return err
		}
		d.batch.Strs[at] = string(v)
		return nil
	case d.missing[i] && c == 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		d.setMissing(r, i)
		return nil
	}
	kind := s.kindAt()
	if err := s.skip(0); err != nil {
		return err
	}
	want := "a number"
	if !d.isNum[i] {
		want = "a string"
	}
	d.valueProblem(r, i, positional, "must be "+want+", got "+kind)
	return nil
}

// valueProblem records the problem of feature i of row r: keyed by name for
// an object instance, by position for an array, whose message then names
// the feature.
func (d *instanceDecoder) valueProblem(r, i int, positional bool, msg string) {
	if positional {
		d.problem(rowKey(r)+"["+strconv.Itoa(i)+"]", "feature "+d.features[i].Name+": "+msg)
		return
	}
	d.problem(rowKey(r)+"."+d.features[i].Name, msg)
}

// problem records a field problem, the first one per field.
func (d *instanceDecoder) problem(field, msg string) {
	if d.problems == nil {
		d.problems = map[string]string{}
	}
	if _, ok := d.problems[field]; !ok && len(d.problems) < maxProblems {
		d.problems[field] = msg
	}
}

// featureIndex returns the index of the feature named key, trying hint
// first, or -1.
func featureIndex(features []model.Column, key []byte, hint int) int {
	if hint < len(features) && string(key) == features[hint].Name {
		return hint
	}
	for i := range features {
		if string(key) == features[i].Name {
			return i
		}
	}
	return -1
}

// grow extends s by n zero values.
func grow[T any](s []T, n int) []T {
	s = append(s, make([]T, n)...)
	return s
}

func rowKey(r int) string {
	return "instances[" + strconv.Itoa(r) + "]"
}

// clip shortens what a client sent to a length fit for a problem.
func clip(s string) string {
	if len(s) <= maxKeyInProblem {
		return s
	}
	return strings.ToValidUTF8(s[:maxKeyInProblem], "") + "…"
}

// featureNames lists the features' names, comma-separated.
func featureNames(features []model.Column) string {
	names := make([]string, len(features))
	for i, f := range features {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
