package learn

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"

	"gitlab.com/mlserve/mlserve/model"
)

// Magic starts every artifact an Envelope wraps: mlserve's own learners'
// (golearn's have their own first line).
const Magic = "mlserve-model 1\n"

// Bounds on what an envelope may declare, so a corrupt one cannot make a
// loader allocate without limit.
const (
	MaxDims = 1 << 20
)

// Envelope is the header of an artifact of mlserve's own learners: a JSON
// line after Magic describing the model; the learner's own bytes, in the
// Format it names, follow it:
//
//	mlserve-model 1\n
//	{"format":"trees/1","algorithm":...,"model":{...}}\n
//	<payload>
//
// Model holds what the format's package records beyond these fields.
type Envelope struct {
	Format    string         `json:"format"`
	Algorithm string         `json:"algorithm"`
	Params    map[string]any `json:"params"`
	Task      string         `json:"task"`
	Target    string         `json:"target"`
	Features  []model.Column `json:"features"`
	// Encodings say how each feature becomes the Dims columns the model
	// was fitted on, in feature order: as itself, or one-hot.
	Encodings    []Encoding      `json:"encodings"`
	Dims         int             `json:"dims"`
	Classes      []string        `json:"classes,omitempty"`
	Model        json.RawMessage `json:"model"`
	PayloadBytes int             `json:"payload_bytes"`
}

// NewEnvelope returns the envelope of a model fitted by f with the given
// encodings; the caller sets Format and Model.
func NewEnvelope(f *Fit, encs []Encoding) *Envelope {
	e := &Envelope{
		Algorithm: f.Spec.Algorithm, Params: f.Spec.Params, Task: f.Spec.Task, Target: f.Spec.Target,
		Encodings: encs, Classes: f.Data.Classes,
	}
	for _, c := range f.Spec.Features {
		e.Features = append(e.Features, model.Column{Name: c.Name, Type: c.Type})
	}
	for i := range encs {
		e.Dims += encs[i].Width()
	}
	return e
}

// Marshal writes the artifact of e, its model description and payload.
// encoding/json sorts map keys and writes no newline inside the header, so
// the same model gives the same bytes.
func (e *Envelope) Marshal(details any, payload []byte) ([]byte, error) {
	raw, err := json.Marshal(details)
	if err != nil {
		return nil, fmt.Errorf("marshal the model description: %w", err)
	}
	e.Model, e.PayloadBytes = raw, len(payload)
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal the artifact header: %w", err)
	}
	out := make([]byte, 0, len(Magic)+len(b)+1+len(payload))
	out = append(out, Magic...)
	out = append(out, b...)
	out = append(out, '\n')
	return append(out, payload...), nil
}

// ParseEnvelope splits an artifact into its checked envelope, the model
// description decoded into details (unknown fields refused) and the
// payload. It checks everything the envelope says: a known algorithm and
// task, params as model.CheckParams accepts them (and normalizes), named
// distinct features each encoded as itself (numbers) or one-hot (strings,
// with sorted distinct levels), Dims their width, sorted distinct classes
// for a classifier and none for a regression, the payload's length.
func ParseEnvelope(artifact []byte, details any) (*Envelope, []byte, error) {
	rest, ok := bytes.CutPrefix(artifact, []byte(Magic))
	if !ok {
		return nil, nil, fmt.Errorf("not an mlserve model artifact, or one of another version")
	}
	line, payload, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return nil, nil, fmt.Errorf("the header does not end")
	}
	var e Envelope
	if err := strictJSON(line, &e); err != nil {
		return nil, nil, fmt.Errorf("header: %v", err)
	}
	if err := e.check(len(payload)); err != nil {
		return nil, nil, err
	}
	if err := strictJSON(e.Model, details); err != nil {
		return nil, nil, fmt.Errorf("model: %v", err)
	}
	return &e, payload, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

func (e *Envelope) check(payloadBytes int) error {
	alg, ok := model.LookupAlgorithm(e.Algorithm)
	switch {
	case !ok:
		return fmt.Errorf("unknown algorithm %q", e.Algorithm)
	case e.PayloadBytes != payloadBytes:
		return fmt.Errorf("a payload of %d bytes, the header says %d", payloadBytes, e.PayloadBytes)
	case len(e.Features) == 0 || len(e.Encodings) != len(e.Features):
		return fmt.Errorf("%d features, %d encodings", len(e.Features), len(e.Encodings))
	case e.Dims < 1 || e.Dims > MaxDims:
		return fmt.Errorf("%d encoded columns", e.Dims)
	}
	params, err := model.CheckParams(e.Algorithm, e.Task, e.Params, e.Features)
	if err != nil {
		return fmt.Errorf("params: %v", err)
	}
	e.Params = params
	if err := CheckClasses(e.Task, e.Classes); err != nil {
		return err
	}
	width, names := 0, map[string]bool{}
	for i, f := range e.Features {
		enc := &e.Encodings[i]
		switch {
		case f.Name == "" || names[f.Name]:
			return fmt.Errorf("feature %d: no name, or a name twice", i)
		case enc.Feature != f.Name:
			return fmt.Errorf("feature %d: encoding of %q for feature %q", i, enc.Feature, f.Name)
		case f.Type == model.ColumnNumber && enc.Kind != KindNumber:
			return fmt.Errorf("feature %d: a number feature encoded %q", i, enc.Kind)
		case f.Type == model.ColumnString && (!alg.StringFeatures || enc.Kind != KindOneHot || !SortedUnique(enc.Levels)):
			return fmt.Errorf("feature %d: a string feature encoded %q with %d levels", i, enc.Kind, len(enc.Levels))
		case f.Type != model.ColumnNumber && f.Type != model.ColumnString:
			return fmt.Errorf("feature %d: type %q", i, f.Type)
		}
		names[f.Name] = true
		width += enc.Width()
	}
	if width != e.Dims {
		return fmt.Errorf("encodings of %d columns, the header says %d", width, e.Dims)
	}
	return nil
}

// CheckClasses checks an artifact's classes for its task: 2 to
// model.MaxClasses, sorted and distinct, for a classifier; none for a
// regression.
func CheckClasses(task string, classes []string) error {
	switch {
	case task == model.TaskClassification && (len(classes) < 2 || len(classes) > model.MaxClasses || !SortedUnique(classes)):
		return fmt.Errorf("%d classes, or not sorted and distinct", len(classes))
	case task != model.TaskClassification && classes != nil:
		return fmt.Errorf("classes for a regression")
	}
	return nil
}

// SortedUnique reports whether s is sorted and holds no value twice.
func SortedUnique[T cmp.Ordered](s []T) bool {
	for i := 1; i < len(s); i++ {
		if !(s[i-1] < s[i]) {
			return false
		}
	}
	return true
}
