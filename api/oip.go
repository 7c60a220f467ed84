package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// The Open Inference Protocol (KServe V2) REST routes, SPEC 4.5, as
// kserve/open-inference-protocol specification/protocol/open_inference_rest.yaml
// and inference_rest.md define them. Each feature of a model is one input
// tensor named after it (FP64 for number features, BYTES for string
// features, shape [-1]); an infer request may instead send every number
// feature as one [N, F] tensor of any name (see tensorDecoder). The outputs
// are "predictions" and, for classifiers that have them, "probabilities".
// Errors are {"error": "..."}, not problem+json: writeProblem switches on
// the path.

// Output tensor names.
const (
	outputPredictions   = "predictions"
	outputProbabilities = "probabilities"
)

// OIP tensor datatypes mlserve answers with.
const (
	datatypeFP64  = "FP64"
	datatypeBytes = "BYTES"
)

// oipPlatform is the "platform" of every model's metadata: the spec asks for
// "<project>_<format>" and lists none that fits.
const oipPlatform = "mlserve_golearn"

// maxMetadataVersions bounds the versions a model's metadata lists.
const maxMetadataVersions = 1000

// isOIPPath reports whether path belongs to the OIP routes, whose errors
// take the protocol's form.
func isOIPPath(path string) bool {
	return path == "/v2" || strings.HasPrefix(path, "/v2/")
}

// oipError is the protocol's error object (metadata_server_error_response,
// metadata_model_error_response, inference_error_response).
type oipError struct {
	Error string `json:"error"`
}

// writeOIPError answers p in the protocol's form, with p's status.
func writeOIPError(w http.ResponseWriter, p *problem) {
	body, _ := json.Marshal(oipError{Error: p.Detail}) // a string cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// serverMetadata is GET /v2's answer (metadata_server_response).
type serverMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// handleOIPServerMetadata answers GET /v2: the server's name and version;
// mlserve implements no protocol extension.
func handleOIPServerMetadata(logger *slog.Logger, version string) http.Handler {
	if version == "" {
		version = "dev"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, logger, http.StatusOK, serverMetadata{Name: "mlserve", Version: version, Extensions: []string{}})
	})
}

// serverHealth is the body of /v2/health/live and /v2/health/ready. The
// spec gives both as {"live": bool}; KServe answers ready as {"ready":
// bool}: ready carries both, so either reading holds.
type serverHealth struct {
	Live  bool   `json:"live"`
	Ready *bool  `json:"ready,omitempty"`
	Error string `json:"error,omitempty"`
}

// handleOIPLive answers 200 while the process serves HTTP, as /healthz.
func handleOIPLive(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, logger, http.StatusOK, serverHealth{Live: true})
	})
}

// handleOIPReady pings checks as /readyz does: 200 when all answer, else
// 503 with an error naming the failing ones.
func handleOIPReady(logger *slog.Logger, checks []Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var failed []string
		for name, res := range runChecks(r.Context(), checks) {
			if res != "ok" {
				failed = append(failed, name+": "+res)
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		ready := len(failed) == 0
		body := serverHealth{Live: true, Ready: &ready}
		status := http.StatusOK
		if !ready {
			sort.Strings(failed)
			body.Error, status = "not ready: "+strings.Join(failed, "; "), http.StatusServiceUnavailable
		}
		writeJSON(w, r, logger, status, body)
	})
}

// modelReady is the model ready answer (ready_model_response).
type modelReady struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	Error string `json:"error,omitempty"`
}

// handleOIPModelReady answers GET /v2/models/{name}[/versions/{version}]/ready:
// 200 {"name", "ready": true} once the version is loaded (this request
// loads it when it is not), 404 for an unknown model or version, and 503
// {"ready": false} when it cannot be loaded now.
func handleOIPModelReady(logger *slog.Logger, models model.Models) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, nameParam)
		_, _, err := resolvePath(r, models)
		if model.ErrorCode(err) == model.CodeNotFound {
			writeError(w, r, logger, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			writeJSON(w, r, logger, http.StatusServiceUnavailable, modelReady{Name: name, Error: problemFor(r, logger, err).Detail})
			return
		}
		writeJSON(w, r, logger, http.StatusOK, modelReady{Name: name, Ready: true})
	})
}

// metadataTensor describes one input or output (metadata_tensor); -1 is
// the batch dimension.
type metadataTensor struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// modelMetadata is the model metadata answer (metadata_model_response).
type modelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions"`
	Platform string           `json:"platform"`
	Inputs   []metadataTensor `json:"inputs"`
	Outputs  []metadataTensor `json:"outputs"`
}

// handleOIPModelMetadata answers GET /v2/models/{name}[/versions/{version}]:
// the selected version's inputs, one per feature, and outputs, plus every
// version of the model (newest first, up to maxMetadataVersions).
func handleOIPModelMetadata(logger *slog.Logger, models model.Models, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mv, pred, err := resolvePath(r, models)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		md := modelMetadata{Name: mv.Name, Platform: oipPlatform, Inputs: []metadataTensor{}}
		if md.Versions, err = versionNames(r, versions, mv.Name); err != nil {
			writeError(w, r, logger, err)
			return
		}
		for _, f := range pred.Features() {
			dt := datatypeFP64
			if f.Type == model.ColumnString {
				dt = datatypeBytes
			}
			md.Inputs = append(md.Inputs, metadataTensor{Name: f.Name, Datatype: dt, Shape: []int64{-1}})
		}
		md.Outputs = []metadataTensor{{Name: outputPredictions, Datatype: predictionsDatatype(pred), Shape: []int64{-1}}}
		if pred.HasProbabilities() {
			md.Outputs = append(md.Outputs, metadataTensor{Name: outputProbabilities, Datatype: datatypeFP64,
				Shape: []int64{-1, int64(len(pred.Classes()))}})
		}
		w.Header().Set(headerModelVersion, strconv.Itoa(mv.Version))
		writeJSON(w, r, logger, http.StatusOK, md)
	})
}

// predictionsDatatype is the datatype of p's predictions: class labels or
// numbers.
func predictionsDatatype(p model.Predictor) string {
	if p.Task() == model.TaskRegression {
		return datatypeFP64
	}
	return datatypeBytes
}

// versionNames lists the model's version numbers, newest first, as the
// strings the protocol wants.
func versionNames(r *http.Request, versions model.VersionStore, name string) ([]string, error) {
	names := []string{}
	cursor := ""
	for len(names) < maxMetadataVersions {
		page, err := versions.ListVersions(r.Context(), name, maxModelPageSize, cursor)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			names = append(names, strconv.Itoa(v.Version))
		}
		if cursor = page.NextCursor; cursor == "" || len(page.Versions) == 0 {
			break
		}
	}
	return names, nil
}
