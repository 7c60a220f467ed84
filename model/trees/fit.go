package trees

import (
	"fmt"

	"gitlab.com/mlserve/mlserve/internal/learn"
)

// fitData is one fit's training rows made ready for tree growing.
type fitData struct {
	f    *learn.Fit
	encs []learn.Encoding
	x    [][]float64 // the training rows, encoded
	data *cartData
}

// encode encodes the fit's rows: number features as themselves, string
// features one-hot.
func encode(f *learn.Fit) *fitData {
	encs := learn.FitEncodings(f.Data.Features, f.Rows, 0)
	en := learn.NewEncoder(encs)
	return &fitData{f: f, encs: encs, x: en.Encode(f.Data.Features, f.Rows),
		data: &cartData{groups: en.Groups(), classes: len(f.Data.Classes)}}
}

// prepare encodes the fit's rows and bins all of them.
func prepare(f *learn.Fit, bins int) *fitData {
	fd := encode(f)
	fd.data.b = binColumns(fd.x, bins)
	fd.data.y, fd.data.v = targets(f, f.Rows)
	return fd
}

// targets returns the targets of the given rows: classes or values.
func targets(f *learn.Fit, rows []int) ([]int32, []float64) {
	if f.Data.Y != nil {
		y := make([]int32, len(rows))
		for i, r := range rows {
			y[i] = int32(f.Data.Y[r])
		}
		return y, nil
	}
	v := make([]float64, len(rows))
	for i, r := range rows {
		v[i] = f.Data.V[r]
	}
	return nil, v
}

// finish writes m's artifact into fitted and the predictor loaded from it,
// so what is evaluated is what is stored.
func (fd *fitData) finish(m *forestModel, fitted *learn.Fitted) error {
	env := learn.NewEnvelope(fd.f, fd.encs)
	env.Format = Format
	d := description{Kind: m.kind, Trees: len(m.trees), Width: m.width, Outputs: m.outputs, Baseline: m.baseline}
	payload, err := marshalPayload(m, fd.data.b.thresholds)
	if err != nil {
		return err
	}
	artifact, err := env.Marshal(d, payload)
	if err != nil {
		return err
	}
	p, err := LoadPredictor(artifact)
	if err != nil {
		return fmt.Errorf("load the artifact just trained: %w", err)
	}
	fitted.Artifact, fitted.Predictor = artifact, p
	return nil
}
