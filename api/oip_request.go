package api

import (
	"fmt"
	"math"

	"gitlab.com/mlserve/mlserve/model"
)

// inferRequest is the protocol's inference_request. Fields the spec does
// not define are ignored, as are parameters: mlserve defines none. It is
// pooled with the request's scratch and refilled by decodeInferRequest.
type inferRequest struct {
	ID      string // echoed when HasID
	HasID   bool
	Inputs  []inferInput
	Outputs []inferOutName
}

// inferInput is one request_input; Data, the JSON text of its data (nil
// when absent), is parsed by tensorDecoder and aliases the body.
type inferInput struct {
	Name     string
	Shape    []int64
	Datatype string
	Data     []byte
}

// inferOutName is one request_output.
type inferOutName struct {
	Name string
}

// datatypes are the protocol's tensor datatypes, so that decoding one
// allocates no string.
var datatypes = []string{"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
	"FP16", "FP32", "FP64", datatypeBytes}

// decodeInferRequest parses body into req, reusing req's slices, with the
// scanner of the native decoder rather than encoding/json's reflection:
// 400 for malformed JSON, a wrong type of field, an empty body or no
// inputs. As with encoding/json, null stands for an absent field, a later
// duplicate field wins, and unknown fields are checked and skipped.
func decodeInferRequest(body []byte, req *inferRequest) error {
	req.ID, req.HasID, req.Inputs, req.Outputs = "", false, req.Inputs[:0], req.Outputs[:0]
	s := &jsonScanner{data: body}
	switch s.peek() {
	case 0:
		return model.Errorf(model.CodeMalformed, "the request body is empty; want an inference request")
	case '{':
	default:
		if !valueStart(s.peek()) {
			return s.skip(0) // the syntax error
		}
		return model.Errorf(model.CodeMalformed, "the body is JSON %s at offset %d; want an object", s.kindAt(), s.pos)
	}
	err := members(s, func(key []byte) error {
		switch string(key) {
		case "id":
			if s.peek() == '"' {
				v, err := s.str()
				req.ID, req.HasID = string(v), true
				return err
			}
			return nullOr(s, fieldPath{list: "id", i: -1}, "a string")
		case "inputs":
			req.Inputs = req.Inputs[:0]
			return elements(s, fieldPath{list: "inputs", i: -1}, func(i int) error {
				in := nextInput(req)
				if s.peek() == '{' {
					return decodeInferInput(s, i, in)
				}
				return nullOr(s, fieldPath{list: "inputs", i: i}, "an object")
			})
		case "outputs":
			req.Outputs = req.Outputs[:0]
			return elements(s, fieldPath{list: "outputs", i: -1}, func(i int) error {
				req.Outputs = append(req.Outputs, inferOutName{})
				out := &req.Outputs[len(req.Outputs)-1]
				if s.peek() != '{' {
					return nullOr(s, fieldPath{list: "outputs", i: i}, "an object")
				}
				return members(s, func(key []byte) error {
					if string(key) == "name" {
						return stringField(s, fieldPath{"outputs", i, "name"}, &out.Name)
					}
					return s.skip(2)
				})
			})
		}
		return s.skip(1)
	})
	if err != nil {
		return err
	}
	if err := s.end(); err != nil {
		return err
	}
	if len(req.Inputs) == 0 {
		return model.Errorf(model.CodeMalformed, "inputs: required, at least one input tensor")
	}
	return nil
}

// nextInput appends an empty input to req, reusing a former one's shape.
func nextInput(req *inferRequest) *inferInput {
	n := len(req.Inputs)
	if n < cap(req.Inputs) {
		req.Inputs = req.Inputs[:n+1]
		in := &req.Inputs[n]
		*in = inferInput{Shape: in.Shape[:0]}
		return in
	}
	req.Inputs = append(req.Inputs, inferInput{})
	return &req.Inputs[n]
}

// decodeInferInput reads the i-th input tensor, an object at s.
func decodeInferInput(s *jsonScanner, i int, in *inferInput) error {
	return members(s, func(key []byte) error {
		switch string(key) {
		case "name":
			return stringField(s, fieldPath{"inputs", i, "name"}, &in.Name)
		case "datatype":
			return stringField(s, fieldPath{"inputs", i, "datatype"}, &in.Datatype)
		case "shape":
			in.Shape = in.Shape[:0]
			field := fieldPath{"inputs", i, "shape"}
			if s.peek() != '[' {
				in.Shape = nil
				return nullOr(s, field, "an array of integers")
			}
			return elements(s, field, func(int) error {
				d, err := integer(s, field)
				in.Shape = append(in.Shape, d)
				return err
			})
		case "data":
			s.ws()
			start := s.pos
			if err := s.skip(2); err != nil {
				return err
			}
			in.Data = s.data[start:s.pos]
			return nil
		}
		return s.skip(2)
	})
}

// members reads the object at s (its '{' peeked), calling member for each
// key with s at the value, which member must consume.
func members(s *jsonScanner, member func(key []byte) error) error {
	if s.open('}') {
		return nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(k); err != nil {
			return err
		}
		more, err := s.next('}')
		if err != nil || !more {
			return err
		}
	}
}

// elements reads the array at s, or null, calling element for each index
// with s at the element, which element must consume. Anything else is a
// type error of field.
func elements(s *jsonScanner, field fieldPath, element func(i int) error) error {
	if s.peek() != '[' {
		return nullOr(s, field, "an array")
	}
	if s.open(']') {
		return nil
	}
	for i := 0; ; i++ {
		if err := element(i); err != nil {
			return err
		}
		more, err := s.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// stringField reads a string, or null (leaving *dst), into *dst; a known
// datatype name allocates nothing.
func stringField(s *jsonScanner, field fieldPath, dst *string) error {
	if s.peek() != '"' {
		return nullOr(s, field, "a string")
	}
	v, err := s.str()
	if err != nil {
		return err
	}
	for _, d := range datatypes {
		if string(v) == d {
			*dst = d
			return nil
		}
	}
	*dst = string(v)
	return nil
}

// nullOr consumes null, or is the type error of field, which wants want.
func nullOr(s *jsonScanner, field fieldPath, want string) error {
	switch c := s.peek(); {
	case c == 'n':
		return s.literal("null")
	case !valueStart(c):
		return s.skip(0) // the syntax error
	}
	return field.wrong(s.pos, "must be "+want+", got "+s.kindAt())
}

// fieldPath names a field of the request in errors: list, list[i] or
// list[i].name; it is formatted only for an error.
type fieldPath struct {
	list string
	i    int // -1: the list itself
	name string
}

func (f fieldPath) String() string {
	switch {
	case f.i < 0:
		return f.list
	case f.name == "":
		return fmt.Sprintf("%s[%d]", f.list, f.i)
	}
	return fmt.Sprintf("%s[%d].%s", f.list, f.i, f.name)
}

// wrong is the type error of f at offset at.
func (f fieldPath) wrong(at int, msg string) error {
	name := f.String()
	return &model.Error{
		Code:    model.CodeMalformed,
		Message: fmt.Sprintf("field %q at offset %d: %s", name, at, msg),
		Fields:  map[string]string{name: msg},
	}
}

// integer reads a JSON number that is an integer within int64: no
// fraction, no exponent, as encoding/json reads one into an int64.
func integer(s *jsonScanner, field fieldPath) (int64, error) {
	if c := s.peek(); !isNumberStart(c) {
		if !valueStart(c) {
			return 0, s.skip(0) // the syntax error
		}
		return 0, nullOrNot(s, field)
	}
	start := s.pos
	if _, err := s.number(); err != nil {
		return 0, err
	}
	tok := s.data[start:s.pos]
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	var v uint64
	for _, c := range tok {
		if c < '0' || c > '9' || v > math.MaxInt64/10+1 {
			return 0, notInteger(s, field, start)
		}
		v = v*10 + uint64(c-'0')
	}
	switch {
	case !neg && v <= math.MaxInt64:
		return int64(v), nil
	case neg && v <= math.MaxInt64+1:
		return int64(-v), nil // two's complement: MinInt64 too
	}
	return 0, notInteger(s, field, start)
}

// nullOrNot is the type error of a shape element that is no number (null
// included: a dimension cannot be absent).
func nullOrNot(s *jsonScanner, field fieldPath) error {
	return field.wrong(s.pos, "must be an array of integers, got "+s.kindAt()+" in it")
}

// notInteger is the error of a number at offset at that is no int64.
func notInteger(s *jsonScanner, field fieldPath, at int) error {
	return field.wrong(at, fmt.Sprintf("must be an array of integers, got %s", s.data[at:s.pos]))
}

// valueStart reports whether c starts a JSON value.
func valueStart(c byte) bool {
	switch c {
	case '"', '{', '[', 't', 'f', 'n':
		return true
	}
	return isNumberStart(c)
}
