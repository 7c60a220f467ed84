package scoring

import (
	"bytes"
	"math"
	"unicode/utf8"
	"unsafe"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// internLimit caps the distinct values a string feature's intern table
// keeps. Category values repeat; past the cap (free text) each value is
// allocated.
const internLimit = 1 << 12

// lineEstimate is an output line's length to size the batch's lines for.
const lineEstimate = 64

// scorer holds one Score call's buffers, allocated once and reused for
// every batch, so scoring allocates nothing per row once the string
// features' values have been seen.
type scorer struct {
	l   *Layout
	in  model.Batch
	out model.Output
	// Batch and Output slices at full size; in and out are resliced to
	// each batch's rows.
	nums    []float64
	strs    []string
	classes []int32
	values  []float64
	probs   []float64
	// interned holds each string feature's values seen so far, by
	// feature index.
	interned []map[string]string
	// echo holds the batch's input fields as written in the output,
	// record r's ending at echoEnd[r].
	echo    []byte
	echoEnd []int
	lines   []byte
	numbers floatText
}

func newScorer(l *Layout) *scorer {
	f := len(l.features)
	s := &scorer{l: l}
	if l.numbers {
		s.nums = make([]float64, batchRows*f)
	}
	if l.strings {
		s.strs = make([]string, batchRows*f)
		s.interned = make([]map[string]string, f)
		for i, ft := range l.features {
			if ft.string {
				s.interned[i] = map[string]string{}
			}
		}
	}
	if l.task == model.TaskClassification {
		s.classes = make([]int32, batchRows)
	} else {
		s.values = make([]float64, batchRows)
	}
	if l.probabilities > 0 {
		s.probs = make([]float64, batchRows*l.probabilities)
	}
	if l.includeInput {
		s.echoEnd = make([]int, batchRows)
	}
	s.lines = make([]byte, 0, batchRows*lineEstimate)
	return s
}

// read reads up to batchRows records into the batch and returns how many.
func (s *scorer) read(rec *records) (int, error) {
	l := s.l
	f := len(l.features)
	s.echo = s.echo[:0]
	n := 0
	for ; n < batchRows; n++ {
		ok, err := rec.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		fields := rec.fields
		if len(fields) != l.fields {
			return 0, model.Errorf(model.CodeInvalid, "record %d: %d fields, the header has %d", rec.n, len(fields), l.fields)
		}
		row := n * f
		for i, ft := range l.features {
			v := fields[ft.at]
			if ft.string {
				s.strs[row+i] = s.intern(i, bytes.TrimSpace(v))
				continue
			}
			x, ok := csvdata.ParseNumber(transient(v))
			if !ok && ft.missing && csvdata.IsEmpty(transient(v)) {
				x, ok = math.NaN(), true // the model learnt where missing values go
			}
			if !ok {
				return 0, badNumber(rec.n, ft.name, v)
			}
			s.nums[row+i] = x
		}
		if l.includeInput {
			for j, v := range fields {
				if j > 0 {
					s.echo = append(s.echo, ',')
				}
				s.echo = appendField(s.echo, v)
			}
			s.echoEnd[n] = len(s.echo)
		}
	}
	s.in = model.Batch{Rows: n}
	if s.nums != nil {
		s.in.Nums = s.nums[:n*f]
	}
	if s.strs != nil {
		s.in.Strs = s.strs[:n*f]
	}
	s.out = model.Output{}
	if s.classes != nil {
		s.out.Classes = s.classes[:n]
	}
	if s.values != nil {
		s.out.Values = s.values[:n]
	}
	if s.probs != nil {
		s.out.Probs = s.probs[:n*s.l.probabilities]
	}
	return n, nil
}

// transient returns b's bytes as a string without copying them, for a
// call that does not keep the string: csvdata.ParseNumber, whose
// strconv.ParseFloat would otherwise need a copy of every cell.
func transient(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// intern returns v as a string, one allocation per distinct value of
// feature i (up to internLimit of them).
func (s *scorer) intern(i int, v []byte) string {
	seen := s.interned[i]
	if str, ok := seen[string(v)]; ok { // no allocation: the compiler looks up v's bytes
		return str
	}
	str := string(v)
	if len(seen) < internLimit {
		seen[str] = str
	}
	return str
}

// badNumber describes a number feature's cell that is not a number.
func badNumber(record int64, column string, v []byte) error {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return model.Errorf(model.CodeInvalid, "record %d: column %q is empty; a number is needed", record, column)
	}
	return model.Errorf(model.CodeInvalid, "record %d: column %q: %q is not a number", record, column, truncate(v))
}

// truncate shortens a cell quoted in a message.
func truncate(v []byte) string {
	const limit = 40
	if len(v) <= limit {
		return string(v)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return string(v[:cut]) + "…"
}

// format writes the batch's n output lines into s.lines.
func (s *scorer) format(n int) error {
	l := s.l
	b := s.lines[:0]
	from := 0
	c := l.probabilities
	for r := range n {
		if l.includeInput {
			b = append(b, s.echo[from:s.echoEnd[r]]...)
			b = append(b, ',')
			from = s.echoEnd[r]
		}
		if s.classes != nil {
			k := s.out.Classes[r]
			if k < 0 || int(k) >= len(l.labels) {
				return model.Errorf(model.CodeInternal, "the predictor gave class %d of %d", k, len(l.labels))
			}
			b = append(b, l.labels[k]...)
		} else {
			b = s.numbers.append(b, s.out.Values[r])
		}
		for _, p := range s.probs[r*c : r*c+c] {
			b = append(b, ',')
			b = s.numbers.append(b, p)
		}
		b = append(b, '\n')
	}
	s.lines = b
	return nil
}
