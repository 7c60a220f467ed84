package api

import (
	"log/slog"
	"net/http"
	"strconv"

	"gitlab.com/mlserve/mlserve/internal/jsonx"
	"gitlab.com/mlserve/mlserve/model"
)

// handleOIPInfer answers POST /v2/models/{name}[/versions/{version}]/infer
// with an inference_response: the outputs requested (all by default),
// model_name, model_version and the request's id. Every client mistake is
// 400 {"error"}; an unknown model or version is 404. The body is parsed as
// JSON whatever its Content-Type: the protocol has one body format, and the
// KServe examples post with curl -d, which declares a form.
func handleOIPInfer(logger *slog.Logger, models model.Models, rows int, pool *scratchPool, count predictionCounter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mv, pred, err := resolvePath(r, models)
		if err != nil {
			count.failed(w, r, logger, nil, err)
			return
		}
		sc := pool.get()
		defer pool.put(sc)
		if sc.body, err = readBody(r.Body, sc.body, r.ContentLength); err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		req := &sc.req
		if err := decodeInferRequest(sc.body, req); err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		wantPred, wantProbs, err := requestedOutputs(req.Outputs, pred)
		if err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		t := &sc.oip
		if err = t.decode(req.Inputs, pred.Features(), rows); err == nil {
			err = refusedRow(pred, &t.batch)
		}
		if err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		out := sc.output(pred, t.batch.Rows)
		pred.Predict(&t.batch, out)
		if sc.resp, err = appendInferResponse(sc.resp[:0], mv, pred, req, t.batch.Rows, out, wantPred, wantProbs); err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		h := w.Header()
		h["Content-Type"] = contentTypeJSON
		h[headerModelVersion] = []string{strconv.Itoa(mv.Version)}
		_, _ = w.Write(sc.resp)
		count.predicted(mv, t.batch.Rows)
	})
}

// refusedRow is a 400 naming the first row of in that p refuses (see
// model.RowChecker), or nil.
func refusedRow(p model.Predictor, in *model.Batch) error {
	for r := range in.Rows {
		if i, why := model.CheckRow(p, in, r); i >= 0 {
			return model.Errorf(model.CodeMalformed, "input %q, row %d: %s", p.Features()[i].Name, r, why)
		}
	}
	return nil
}

// requestedOutputs returns which outputs to answer: all when the request
// names none. An unknown name is 400, and so is probabilities from a
// predictor that has none.
func requestedOutputs(outputs []inferOutName, p model.Predictor) (pred, probs bool, err error) {
	if len(outputs) == 0 {
		return true, p.HasProbabilities(), nil
	}
	for _, o := range outputs {
		switch {
		case o.Name == outputPredictions:
			pred = true
		case o.Name == outputProbabilities && p.HasProbabilities():
			probs = true
		case o.Name == outputProbabilities:
			return false, false, model.Errorf(model.CodeMalformed, "this model has no %q output", outputProbabilities)
		default:
			return false, false, model.Errorf(model.CodeMalformed, "unknown output %q: want %q or %q", clip(o.Name), outputPredictions, outputProbabilities)
		}
	}
	return pred, probs, nil
}

// appendInferResponse appends the inference_response. Predictions are
// BYTES class labels or FP64 numbers, shape [N]; probabilities FP64 [N, C].
func appendInferResponse(dst []byte, mv *model.ModelVersion, p model.Predictor, req *inferRequest, rows int, out *model.Output, wantPred, wantProbs bool) ([]byte, error) {
	classes := p.Classes()
	dst = append(dst, `{"model_name":`...)
	dst = jsonx.AppendString(dst, mv.Name)
	dst = append(dst, `,"model_version":"`...)
	dst = strconv.AppendInt(dst, int64(mv.Version), 10)
	dst = append(dst, '"')
	if req.HasID {
		dst = append(dst, `,"id":`...)
		dst = jsonx.AppendString(dst, req.ID)
	}
	dst = append(dst, `,"outputs":[`...)
	if wantPred {
		dst = append(dst, `{"name":"`+outputPredictions+`","datatype":"`...)
		dst = append(dst, predictionsDatatype(p)...)
		dst = append(dst, `","shape":[`...)
		dst = strconv.AppendInt(dst, int64(rows), 10)
		dst = append(dst, `],"data":[`...)
		var err error
		if dst, err = appendPredictions(dst, mv, p, out, rows); err != nil {
			return dst, err
		}
		dst = append(dst, "]}"...)
	}
	if wantProbs && out.Probs != nil {
		if wantPred {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":"`+outputProbabilities+`","datatype":"`+datatypeFP64+`","shape":[`...)
		dst = strconv.AppendInt(dst, int64(rows), 10)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(len(classes)), 10)
		dst = append(dst, `],"data":[`...)
		for i, v := range out.Probs[:rows*len(classes)] {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.AppendFloat(dst, v)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}\n"...), nil
}
