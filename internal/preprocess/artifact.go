package preprocess

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gitlab.com/mlserve/mlserve/model"
)

// Magic starts the artifact of a model with preprocessing steps:
//
//	mlserve-pipeline 1\n
//	{"features":[...],"steps":[...],"model_bytes":N}\n
//	<the artifact of the model fitted on the steps' output>
//
// The model's artifact is any other format a learner writes.
const Magic = "mlserve-pipeline 1\n"

// header is the artifact's JSON line. Its field names never change.
type header struct {
	Features   []model.Column     `json:"features"`
	Steps      []model.FittedStep `json:"steps"`
	ModelBytes int                `json:"model_bytes"`
}

// MarshalArtifact wraps inner, the artifact of the model fitted on the
// steps' output, with the steps and the input features. encoding/json
// writes struct fields in order and floats in their shortest exact form,
// so the same model gives the same bytes and its values load exactly.
func MarshalArtifact(features []model.Column, steps []model.FittedStep, inner []byte) ([]byte, error) {
	h := header{Steps: steps, ModelBytes: len(inner)}
	for _, f := range features {
		h.Features = append(h.Features, model.Column{Name: f.Name, Type: f.Type})
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("marshal the pipeline header: %w", err)
	}
	out := make([]byte, 0, len(Magic)+len(b)+1+len(inner))
	out = append(out, Magic...)
	out = append(out, b...)
	out = append(out, '\n')
	return append(out, inner...), nil
}

// Artifact is a pipeline artifact's parts.
type Artifact struct {
	Features []model.Column
	Steps    []model.FittedStep
	// Model is the artifact of the model fitted on the steps' output.
	Model []byte
}

// ParseArtifact splits a pipeline artifact into its parts, checking its
// framing only (see LoadPredictor for the rest). Errors are CodeCorrupt.
func ParseArtifact(artifact []byte) (*Artifact, error) {
	rest, ok := bytes.CutPrefix(artifact, []byte(Magic))
	if !ok {
		return nil, corrupt("not a pipeline artifact")
	}
	line, inner, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return nil, corrupt("the header does not end")
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || dec.More() {
		return nil, corrupt("header: %v", err)
	}
	if h.ModelBytes != len(inner) {
		return nil, corrupt("a model of %d bytes, the header says %d", len(inner), h.ModelBytes)
	}
	for i, f := range h.Features {
		if f.Type != model.ColumnNumber && f.Type != model.ColumnString {
			return nil, corrupt("feature %d: type %q", i, f.Type)
		}
	}
	if bytes.HasPrefix(inner, []byte(Magic)) {
		return nil, corrupt("a pipeline inside a pipeline")
	}
	return &Artifact{Features: h.Features, Steps: h.Steps, Model: inner}, nil
}

// LoadPredictor loads a pipeline artifact: its steps are checked (see
// compile), its model is loaded by loadInner, which must refuse another
// pipeline, and must take the columns the steps make. Every error is
// CodeCorrupt, or loadInner's; bad bytes never panic.
func LoadPredictor(artifact []byte, loadInner func([]byte) (model.Predictor, error)) (model.Predictor, error) {
	a, err := ParseArtifact(artifact)
	if err != nil {
		return nil, err
	}
	inner, err := loadInner(a.Model)
	if err != nil {
		return nil, err
	}
	p, err := NewPredictor(a.Features, a.Steps, inner)
	if err != nil {
		return nil, corrupt("%v", err)
	}
	return p, nil
}

func corrupt(format string, args ...any) error {
	return model.Errorf(model.CodeCorrupt, "artifact: pipeline: "+format, args...)
}
