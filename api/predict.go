package api

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/jsonx"
	"gitlab.com/mlserve/mlserve/model"
)

// headerModelVersion carries the version that answered a prediction.
const headerModelVersion = "Mlserve-Model-Version"

// contentTypeJSON is the Content-Type header of a prediction, set without
// canonicalizing or allocating; handlers never modify it.
var contentTypeJSON = []string{"application/json"}

// maxPooledBytes is the largest buffer a scratch returns to its pool: one
// huge request must not pin its buffers for the life of the process.
const maxPooledBytes = 1 << 20

// maxPooledTensors is the most OIP inputs or outputs a pooled scratch
// keeps room for: a model has a few per feature at most, and a body of
// thousands of tiny tensors must not stay in the pool either.
const maxPooledTensors = 1024

// predictScratch is the per-request memory of a prediction, pooled so that
// a request allocates next to nothing: the body, the decoded batch, the
// predictor's output and the response.
type predictScratch struct {
	body  []byte
	dec   instanceDecoder
	oip   tensorDecoder
	req   inferRequest
	out   model.Output
	probs []float64
	resp  []byte
}

// scratchPool pools predictScratch values; one serves every prediction
// route.
type scratchPool struct {
	pool sync.Pool
}

func newScratchPool() *scratchPool {
	return &scratchPool{pool: sync.Pool{New: func() any {
		return &predictScratch{body: make([]byte, 0, 2048), resp: make([]byte, 0, 1024)}
	}}}
}

func (p *scratchPool) get() *predictScratch {
	return p.pool.Get().(*predictScratch)
}

// put returns sc unless it grew too large to keep.
func (p *scratchPool) put(sc *predictScratch) {
	sc.dec.release()
	sc.oip.release()
	if cap(sc.body) > maxPooledBytes || cap(sc.resp) > maxPooledBytes || cap(sc.dec.batch.Nums) > maxPooledBytes/8 ||
		cap(sc.req.Inputs) > maxPooledTensors || cap(sc.req.Outputs) > maxPooledTensors {
		return
	}
	p.pool.Put(sc)
}

// output sizes the scratch's Output for rows predictions of p: classes and
// values both (a predictor writes the one its task needs), probabilities
// only when p has them, as the Output contract says.
func (sc *predictScratch) output(p model.Predictor, rows int) *model.Output {
	o := &sc.out
	o.Classes = grow(o.Classes[:0], rows)
	o.Values = grow(o.Values[:0], rows)
	o.Probs = nil
	if p.HasProbabilities() {
		sc.probs = grow(sc.probs[:0], rows*len(p.Classes()))
		o.Probs = sc.probs
	}
	return o
}

// readBody reads the whole body into buf, sized from the declared length
// when there is one. Errors are client errors (decodeError): 413 past the
// limit set by limitBody, 400 for a broken body.
func readBody(body io.Reader, buf []byte, declared int64) ([]byte, error) {
	buf = buf[:0]
	if declared > 0 && int64(cap(buf)) <= declared && declared < 1<<31 {
		buf = make([]byte, 0, declared+1) // +1: the last Read then sees EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, decodeError(err)
		}
	}
}

// handlePredict answers the native predict routes (SPEC 4.4): POST
// /v1/models/{name}/predict (alias production, else the latest version),
// .../versions/{version}/predict and .../aliases/{alias}/predict. The body
// is {"instances": [...]} (see instanceDecoder) of at most rows instances
// (0: no limit); the answer is
//
//	{"model": "iris", "version": 3, "predictions": [...], "probabilities": [{"class": p, ...}, ...]}
//
// with the version also in the Mlserve-Model-Version header. Predictions
// are class labels for a classifier and numbers for a regression;
// probabilities appear only for a predictor that has them. Unknown model,
// version or alias: 404.
func handlePredict(logger *slog.Logger, models model.Models, rows int, pool *scratchPool, count predictionCounter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			if err := requireJSON(r); err != nil {
				count.failed(w, r, logger, nil, err)
				return
			}
		}
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
		d := &sc.dec
		d.reset(sc.body, pred.Features(), rows, pred.Missing)
		if err = d.decode(); err == nil {
			err = d.checkRows(pred)
		}
		if err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		out := sc.output(pred, d.batch.Rows)
		pred.Predict(&d.batch, out)
		if sc.resp, err = appendPredictResponse(sc.resp[:0], mv, pred, d.batch.Rows, out); err != nil {
			count.failed(w, r, logger, mv, err)
			return
		}
		h := w.Header()
		h["Content-Type"] = contentTypeJSON
		h[headerModelVersion] = []string{strconv.Itoa(mv.Version)}
		_, _ = w.Write(sc.resp)
		count.predicted(mv, d.batch.Rows)
	})
}

// resolvePath returns the loaded version the request's path selects:
// {name} with {version}, {alias} or neither. A path alias that cannot be an
// alias name is 404, like one that does not exist.
func resolvePath(r *http.Request, models model.Models) (*model.ModelVersion, model.Predictor, error) {
	name, alias := chi.URLParam(r, nameParam), chi.URLParam(r, aliasParam)
	if alias != "" && !model.ValidName(alias) {
		return nil, nil, model.Errorf(model.CodeNotFound, "model %q has no alias %q", name, alias)
	}
	version := 0
	if v := chi.URLParam(r, versionParam); v != "" {
		version, _ = parseVersion(v) // requireVersion let only numbers through
	}
	mv, pred, err := models.Resolve(r.Context(), name, version, alias)
	if err == nil && (mv == nil || pred == nil) {
		err = model.Errorf(model.CodeInternal, "model cache returned no version for %q", name)
	}
	return mv, pred, err
}

// appendPredictResponse appends the native predict response for rows
// predictions in out. A class index outside the predictor's classes is an
// internal error: a predictor bug, not the client's.
func appendPredictResponse(dst []byte, mv *model.ModelVersion, p model.Predictor, rows int, out *model.Output) ([]byte, error) {
	classes := p.Classes()
	regression := p.Task() == model.TaskRegression
	dst = append(dst, `{"model":`...)
	dst = jsonx.AppendString(dst, mv.Name)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(mv.Version), 10)
	dst = append(dst, `,"predictions":[`...)
	dst, err := appendPredictions(dst, mv, p, out, rows)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ']')
	if out.Probs != nil && !regression {
		dst = append(dst, `,"probabilities":[`...)
		for r := range rows {
			if r > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			for c, class := range classes {
				if c > 0 {
					dst = append(dst, ',')
				}
				dst = jsonx.AppendString(dst, class)
				dst = append(dst, ':')
				dst = jsonx.AppendFloat(dst, out.Probs[r*len(classes)+c])
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}', '\n'), nil
}

// appendPredictions writes rows predictions of p, comma-separated: class
// labels (JSON strings) for a classifier, numbers for a regressor. Both
// protocols send them in this form. A class index out of range is a
// predictor bug, reported as an internal error.
func appendPredictions(dst []byte, mv *model.ModelVersion, p model.Predictor, out *model.Output, rows int) ([]byte, error) {
	classes := p.Classes()
	regression := p.Task() == model.TaskRegression
	for r := range rows {
		if r > 0 {
			dst = append(dst, ',')
		}
		if regression {
			dst = jsonx.AppendFloat(dst, out.Values[r])
			continue
		}
		c := int(out.Classes[r])
		if c < 0 || c >= len(classes) {
			return dst, model.Errorf(model.CodeInternal, "predictor of %s v%d returned class %d of %d", mv.Name, mv.Version, c, len(classes))
		}
		dst = jsonx.AppendString(dst, classes[c])
	}
	return dst, nil
}
