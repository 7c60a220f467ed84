package golearn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Magic starts every artifact this package writes: its format, and the
// envelope's version.
const Magic = "mlserve-golearn 1\n"

// library is the training library and version every artifact records.
const library = "github.com/sjwhitworth/golearn v0.0.0-20221228163002-74ae077eafb2"

// Bounds on what a header may declare, so a corrupt one cannot make Load
// allocate without limit.
const (
	maxDims = 1 << 20
	maxBins = 1000
)

// header is an artifact's description of its model, a JSON line after
// the magic; the payload, golearn's (or this package's) bytes of the
// fitted model in the format Payload names, follows it. An artifact is:
//
//	mlserve-golearn 1\n
//	{"library":..., "algorithm":..., ...}\n
//	<payload>
type header struct {
	Library   string         `json:"library"`
	Algorithm string         `json:"algorithm"`
	Params    map[string]any `json:"params"`
	Task      string         `json:"task"`
	Target    string         `json:"target"`
	Features  []model.Column `json:"features"`
	// Encodings say how each feature becomes the Dims columns the model
	// was fitted on, in feature order.
	Encodings []learn.Encoding `json:"encodings"`
	Dims      int              `json:"dims"`
	Classes   []string         `json:"classes,omitempty"`
	KNN       *knnSettings     `json:"knn,omitempty"`
	Payload   string           `json:"payload"`
	// PayloadBytes is the payload's length, a check against truncation.
	PayloadBytes int `json:"payload_bytes"`
}

type knnSettings struct {
	K        int    `json:"k"`
	Distance string `json:"distance"`
	Rows     int    `json:"rows"`
}

// marshalArtifact writes an artifact; encoding/json writes no newline
// inside the header, and sorts map keys, so the same model gives the same
// bytes.
func marshalArtifact(h *header, payload []byte) ([]byte, error) {
	h.PayloadBytes = len(payload)
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("marshal the artifact header: %w", err)
	}
	out := make([]byte, 0, len(Magic)+len(b)+1+len(payload))
	out = append(out, Magic...)
	out = append(out, b...)
	out = append(out, '\n')
	return append(out, payload...), nil
}

// parseArtifact splits an artifact into its checked header and payload.
func parseArtifact(artifact []byte) (*header, []byte, error) {
	rest, ok := bytes.CutPrefix(artifact, []byte(Magic))
	if !ok {
		return nil, nil, fmt.Errorf("not an mlserve golearn artifact, or one of another version")
	}
	line, payload, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return nil, nil, fmt.Errorf("the header does not end")
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || dec.More() {
		return nil, nil, fmt.Errorf("header: %v", err)
	}
	if err := h.check(len(payload)); err != nil {
		return nil, nil, err
	}
	return &h, payload, nil
}

// check validates everything in h that predicting relies on, and
// normalizes its params. Artifacts written before algorithms had variants
// record none: theirs is golearn's.
func (h *header) check(payloadBytes int) error {
	alg, ok := model.LookupAlgorithm(h.Algorithm)
	l, ok2 := learnerFor(h.Algorithm, h.Task)
	switch {
	case !ok:
		return fmt.Errorf("unknown algorithm %q", h.Algorithm)
	case !ok2:
		return fmt.Errorf("task %q for %s", h.Task, h.Algorithm)
	case h.Payload != l.payload:
		return fmt.Errorf("payload %q for %s", h.Payload, h.Algorithm)
	case h.PayloadBytes != payloadBytes:
		return fmt.Errorf("a payload of %d bytes, the header says %d", payloadBytes, h.PayloadBytes)
	case h.Dims < 1 || h.Dims > maxDims:
		return fmt.Errorf("%d encoded columns", h.Dims)
	case len(h.Features) == 0 || len(h.Encodings) != len(h.Features):
		return fmt.Errorf("%d features, %d encodings", len(h.Features), len(h.Encodings))
	}
	given := h.Params
	if alg.Variant != "" {
		given = maps.Clone(h.Params)
		if given == nil {
			given = map[string]any{}
		}
		if _, set := given[alg.Variant]; !set {
			given[alg.Variant] = golearnVariant(alg)
		}
		if given[alg.Variant] != golearnVariant(alg) {
			return fmt.Errorf("%s %v, not golearn's", alg.Variant, given[alg.Variant])
		}
	}
	params, err := model.CheckParams(h.Algorithm, h.Task, given, h.Features)
	if err != nil {
		return fmt.Errorf("params: %v", err)
	}
	h.Params = params
	if err := learn.CheckClasses(h.Task, h.Classes); err != nil {
		return err
	}
	width, names := 0, map[string]bool{}
	for i := range h.Features {
		if names[h.Features[i].Name] {
			return fmt.Errorf("feature %q twice", h.Features[i].Name)
		}
		names[h.Features[i].Name] = true
		if err := checkEncoding(h.Features[i], &h.Encodings[i], alg, l.binned); err != nil {
			return fmt.Errorf("feature %d: %w", i, err)
		}
		width += h.Encodings[i].Width()
	}
	if width != h.Dims {
		return fmt.Errorf("encodings of %d columns, the header says %d", width, h.Dims)
	}
	if (h.KNN != nil) != (h.Algorithm == "knn") {
		return fmt.Errorf("knn settings on %s", h.Algorithm)
	}
	if h.KNN != nil && (h.KNN.K != h.Params["k"] || h.KNN.Distance != h.Params["distance"]) {
		return fmt.Errorf("knn settings %+v for params %v", *h.KNN, h.Params)
	}
	return nil
}

func checkEncoding(f model.Column, e *learn.Encoding, alg model.Algorithm, binned bool) error {
	if f.Name == "" || e.Feature != f.Name {
		return fmt.Errorf("encoding of %q for feature %q", e.Feature, f.Name)
	}
	switch {
	case f.Type == model.ColumnString && alg.StringFeatures:
		if e.Kind != learn.KindOneHot || len(e.Levels) == 0 || !learn.SortedUnique(e.Levels) {
			return fmt.Errorf("a string feature encoded %q with %d levels", e.Kind, len(e.Levels))
		}
	case f.Type != model.ColumnNumber:
		return fmt.Errorf("type %q", f.Type)
	case binned:
		if e.Kind != learn.KindBins || e.Bins < 2 || e.Bins > maxBins || !(e.Min <= e.Max) || len(e.Occupied) == 0 ||
			!learn.SortedUnique(e.Occupied) || e.Occupied[0] < 0 || e.Occupied[len(e.Occupied)-1] >= e.Bins {
			return fmt.Errorf("a number feature with bad bins")
		}
	case e.Kind != learn.KindNumber:
		return fmt.Errorf("a number feature encoded %q", e.Kind)
	}
	return nil
}
