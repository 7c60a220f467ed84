package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/metrics"
)

// routes lists every route of the API and what it requires. Scopes: admin
// may do everything; read may GET everything; predict may predict and GET
// models (its GET rows below: predict or read; its POST rows, which
// predict: predict only). The rows without a scope and /v2/health/* are
// open (nginx does not pass /metrics on to clients). Every GET route
// answers HEAD too.
//
//	GET    /healthz                                     liveness, no dependency checks
//	GET    /readyz                                      every Check pinged; 503 names the failing ones
//	GET    /metrics                                     Prometheus metrics (when Deps.Metrics is set)
//	GET    /openapi.yaml                                this API's OpenAPI 3.0 document (openapi.yaml)
//	GET    /docs                                        the document rendered by Redoc, served from the binary
//	GET    /docs/redoc.standalone.js                    Redoc's script, for /docs
//	POST   /v1/jobs                             admin   submit a job (Idempotency-Key)
//	GET    /v1/jobs                             read    list jobs: type, status, model, limit, cursor
//	GET    /v1/jobs/{id}                        read    one job
//	DELETE /v1/jobs/{id}                        admin   delete a finished job and its output
//	POST   /v1/jobs/{id}/cancel                 admin   cancel a job
//	GET    /v1/jobs/{id}/output                 read    a succeeded score job's output: CSV, or NDJSON (Accept)
//	POST   /v1/datasets                         admin   upload a CSV (?name=; text/csv or multipart field file)
//	GET    /v1/datasets                         read    list datasets: limit, cursor
//	GET    /v1/datasets/{id}                    read    one dataset
//	GET    /v1/datasets/{id}/csv                read    the raw CSV as uploaded
//	DELETE /v1/datasets/{id}                    admin   delete a dataset no live job uses
//	GET    /v1/models                           predict list model summaries by name: limit, cursor
//	GET    /v1/models/{name}                    predict one model: latest version, aliases
//	GET    /v1/models/{name}/versions           predict list its versions, newest first: limit, cursor
//	GET    /v1/models/{name}/versions/{version} predict one version
//	DELETE /v1/models/{name}/versions/{version} admin   delete a version no alias points at
//	PUT    /v1/models/{name}/aliases/{alias}    admin   point an alias at a version: {"version": N}
//	DELETE /v1/models/{name}/aliases/{alias}    admin   remove an alias
//	POST   /v1/models/{name}/predict                     predict predict with alias production, else the latest version
//	POST   /v1/models/{name}/versions/{version}/predict  predict predict with a version
//	POST   /v1/models/{name}/aliases/{alias}/predict     predict predict with the version an alias points at
//	GET    /v1/algorithms                       predict the training algorithms and their parameters
//
// The Open Inference Protocol (KServe V2 REST); errors are {"error": ...}.
// [/versions/{version}] is optional: without it, the version a bare name
// resolves to.
//
//	GET    /v2/health/live                                       liveness, as /healthz
//	GET    /v2/health/ready                                      ServingChecks pinged; 503 when one fails
//	GET    /v2                                           predict server metadata
//	GET    /v2/models/{name}[/versions/{version}]        predict model metadata: inputs, outputs, versions
//	GET    /v2/models/{name}[/versions/{version}]/ready  predict loads the version; 200 ready, 503 not
//	POST   /v2/models/{name}[/versions/{version}]/infer  predict infer
func routes(d Deps) http.Handler {
	var (
		logger = d.Logger
		read   = requireScope(logger, config.ScopeRead)
		admin  = requireScope(logger, config.ScopeAdmin)
		// readModels is for the GETs of models, which predict keys may
		// make too.
		readModels = requireScope(logger, config.ScopePredict, config.ScopeRead)
		// predict is for predictions, which read keys may not make.
		predict = requireScope(logger, config.ScopePredict)
		// scratch is the pooled per-request memory of every prediction.
		scratch = newScratchPool()
		// jsonBody bounds JSON request bodies; uploads get their own limit.
		jsonBody = limitBody(logger, d.Limits.BodyBytes)
		// uploadBody leaves room for multipart framing; the CSV itself is
		// held to dataset_bytes as it is read.
		uploadBody = limitBody(logger, d.Limits.DatasetBytes+multipartOverhead)
		// native and oip count each protocol's predictions.
		native, oip = predictionCounter{protocol: metrics.Native}, predictionCounter{protocol: metrics.OIP}
	)

	r := chi.NewRouter()
	var httpMetrics *metrics.HTTP
	if d.Metrics != nil {
		httpMetrics = d.Metrics.HTTP
		native.p, oip.p = d.Metrics.Predictions, d.Metrics.Predictions
	}
	r.Use(withRequestID, observe(httpMetrics, d.AccessLog), recoverPanic(logger), headAsGet)
	r.NotFound(handleNotFound(logger))

	r.Method(http.MethodGet, "/healthz", handleHealthz())
	r.Method(http.MethodGet, "/readyz", handleReadyz(logger, d.Checks))
	if d.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", d.Metrics.Handler())
	}
	r.Method(http.MethodGet, "/openapi.yaml", handleOpenAPI())
	r.Method(http.MethodGet, "/docs", handleDocs())
	r.Method(http.MethodGet, "/docs/redoc.standalone.js", handleDocsScript(logger))

	r.Route("/v1", func(r chi.Router) {
		r.Use(authenticate(logger, d.Auth))

		r.Route("/jobs", func(r chi.Router) {
			r.With(admin, jsonBody).Method(http.MethodPost, "/", handleJobCreate(logger, d.Jobs, d.Datasets, d.Versions, d.Queue, d.MaxTrials, d.IdempotencyTTL, d.Now))
			r.With(read).Method(http.MethodGet, "/", handleJobList(logger, d.Jobs))
			r.Route("/{id}", func(r chi.Router) {
				r.Use(requireID(logger, "job"))
				r.With(read).Method(http.MethodGet, "/", handleJobGet(logger, d.Jobs))
				r.With(admin).Method(http.MethodDelete, "/", handleJobDelete(logger, d.Jobs))
				r.With(admin).Method(http.MethodPost, "/cancel", handleJobCancel(logger, d.Jobs, d.Queue, d.Now))
				r.With(read).Method(http.MethodGet, "/output", handleJobOutput(logger, d.Jobs, d.Scores, d.WriteTimeout))
			})
		})

		r.Route("/datasets", func(r chi.Router) {
			r.With(admin, uploadBody).Method(http.MethodPost, "/", handleDatasetCreate(logger, d.Datasets, d.Limits))
			r.With(read).Method(http.MethodGet, "/", handleDatasetList(logger, d.Datasets))
			r.Route("/{id}", func(r chi.Router) {
				r.Use(requireID(logger, "dataset"))
				r.With(read).Method(http.MethodGet, "/", handleDatasetGet(logger, d.Datasets))
				r.With(admin).Method(http.MethodDelete, "/", handleDatasetDelete(logger, d.Datasets))
				r.With(read).Method(http.MethodGet, "/csv", handleDatasetCSV(logger, d.Datasets))
			})
		})

		r.With(readModels).Method(http.MethodGet, "/algorithms", handleAlgorithms(logger))

		r.Route("/models", func(r chi.Router) {
			r.With(readModels).Method(http.MethodGet, "/", handleModelList(logger, d.Versions))
			r.Route("/{name}", func(r chi.Router) {
				r.Use(requireModelName(logger))
				r.With(readModels).Method(http.MethodGet, "/", handleModelGet(logger, d.Versions))
				r.With(predict, jsonBody).Method(http.MethodPost, "/predict", handlePredict(logger, d.Models, d.Limits.PredictRows, scratch, native))
				r.Route("/versions", func(r chi.Router) {
					r.With(readModels).Method(http.MethodGet, "/", handleVersionList(logger, d.Versions))
					r.Route("/{version}", func(r chi.Router) {
						r.Use(requireVersion(logger))
						r.With(readModels).Method(http.MethodGet, "/", handleVersionGet(logger, d.Versions))
						r.With(admin).Method(http.MethodDelete, "/", handleVersionDelete(logger, d.Versions))
						r.With(predict, jsonBody).Method(http.MethodPost, "/predict", handlePredict(logger, d.Models, d.Limits.PredictRows, scratch, native))
					})
				})
				r.Route("/aliases/{alias}", func(r chi.Router) {
					r.With(admin, jsonBody).Method(http.MethodPut, "/", handleAliasSet(logger, d.Versions))
					r.With(admin).Method(http.MethodDelete, "/", handleAliasDelete(logger, d.Versions))
					r.With(predict, jsonBody).Method(http.MethodPost, "/predict", handlePredict(logger, d.Models, d.Limits.PredictRows, scratch, native))
				})
			})
		})
	})

	r.Route("/v2", func(r chi.Router) {
		r.Method(http.MethodGet, "/health/live", handleOIPLive(logger))
		r.Method(http.MethodGet, "/health/ready", handleOIPReady(logger, d.ServingChecks))
		r.Group(func(r chi.Router) {
			r.Use(authenticate(logger, d.Auth))
			r.With(readModels).Method(http.MethodGet, "/", handleOIPServerMetadata(logger, d.Version))
			// oipModel lists the routes of a model, with or without
			// /versions/{version}.
			oipModel := func(r chi.Router) {
				r.With(readModels).Method(http.MethodGet, "/", handleOIPModelMetadata(logger, d.Models, d.Versions))
				r.With(readModels).Method(http.MethodGet, "/ready", handleOIPModelReady(logger, d.Models))
				r.With(predict, jsonBody).Method(http.MethodPost, "/infer", handleOIPInfer(logger, d.Models, d.Limits.PredictRows, scratch, oip))
			}
			r.Route("/models/{name}", func(r chi.Router) {
				r.Use(requireModelName(logger))
				oipModel(r)
				r.Route("/versions/{version}", func(r chi.Router) {
					r.Use(requireVersion(logger))
					oipModel(r)
				})
			})
		})
	})

	// Last, once every route exists: the 405 handler lists them in Allow.
	r.MethodNotAllowed(handleMethodNotAllowed(logger, newAllowedMethods(r)))
	return r
}
