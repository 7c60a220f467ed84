package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// TrainDeps are what the train handler works with.
type TrainDeps struct {
	Datasets  model.DatasetStore
	Versions  model.VersionStore
	Artifacts model.ArtifactStore
	Trainer   model.Trainer
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Events, when set, is told when a job adds a version or moves an
	// alias, so the API replicas serve it at once rather than on their
	// next refresh.
	Events model.ModelEvents
	// Trials trains the trials of a search (nil: Trainer), TrialsAtOnce
	// of them at a time (at least 1).
	Trials       model.Trainer
	TrialsAtOnce int
}

// NewTrainHandler returns the handler of train jobs: it trains the
// requested model on the job's dataset, stores the artifact, then the
// version (in that order, so a version that exists can always be loaded),
// then moves set_alias to it. A request with a search first runs its
// trials (see search), then trains the best candidate as the version,
// which records every trial.
//
// It is idempotent, as at-least-once delivery demands: the version records
// its job's id, so an attempt that finds a version of its job (its
// predecessor died after writing it) only finishes the alias move; and the
// artifact is stored under the job's id, so a retry replaces an
// interrupted attempt's artifact instead of adding one.
func NewTrainHandler(d TrainDeps) Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &trainHandler{d}
}

type trainHandler struct{ d TrainDeps }

// Run implements Handler.
func (h *trainHandler) Run(ctx context.Context, job *model.Job, progress Reporter) (*model.JobResult, error) {
	req := &job.Request
	v, err := h.d.Versions.VersionByJob(ctx, job.ID)
	switch model.ErrorCode(err) {
	case "":
		h.d.Logger.Info("job already produced its version", "job_id", job.ID, "model", v.Name, "version", v.Version)
	case model.CodeNotFound:
		if v, err = h.train(ctx, job, progress); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("look up the version of job %s: %w", job.ID, err)
	}
	// Announced even when the version was there already or the alias move
	// fails: an earlier attempt may have died before announcing it, and a
	// new version moves a bare name that has no production alias.
	defer h.announce(ctx, job, v.Name)
	if req.SetAlias != "" {
		if err := h.d.Versions.SetAlias(ctx, v.Name, req.SetAlias, v.Version); err != nil {
			return nil, fmt.Errorf("set alias %s of %s to version %d: %w", req.SetAlias, v.Name, v.Version, err)
		}
	}
	return &model.JobResult{Model: v.Name, Version: v.Version, Metrics: &v.Metrics}, nil
}

// train fits the model and registers it as a new version.
func (h *trainHandler) train(ctx context.Context, job *model.Job, progress Reporter) (*model.ModelVersion, error) {
	req := &job.Request
	ds, csv, err := h.d.Datasets.OpenDatasetCSV(ctx, req.Dataset)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, model.Errorf(model.CodeNotFound, "dataset %s was deleted before the job ran", req.Dataset)
	}
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", req.Dataset, err)
	}
	defer csv.Close()
	// The request was checked at submit time against this same dataset
	// (datasets never change); checking again gives the filled-in spec.
	spec, err := model.PrepareTrain(req, ds)
	if err != nil {
		return nil, err
	}

	report := func(p model.Progress) {
		// A cancel or stale attempt shows in ctx, which Train watches.
		_ = progress.Report(ctx, p)
	}
	var search *model.SearchResult
	if spec.Search != nil {
		if search, err = h.search(ctx, job, spec, progress); err != nil {
			return nil, err
		}
		spec.Algorithm, spec.Params, spec.Search = search.Best.Algorithm, search.Best.Params, nil
		trials := int64(len(search.Trials))
		report = func(p model.Progress) {
			done := trials
			if p.Total > 0 && p.Done >= p.Total {
				done++
			}
			_ = progress.Report(ctx, model.Progress{Done: done, Total: trials + 1})
		}
	}

	started := h.d.Now()
	data := &hashingReader{r: csv, h: sha256.New()}
	res, err := h.d.Trainer.Train(ctx, *spec, data, report)
	if err != nil {
		return nil, err
	}
	if data.n == ds.SizeBytes && hex.EncodeToString(data.h.Sum(nil)) != ds.SHA256 {
		return nil, model.Errorf(model.CodeCorrupt, "dataset %s does not match its sha256 %s", ds.ID, ds.SHA256)
	}
	trainSeconds := h.d.Now().Sub(started).Seconds()

	ref, err := h.d.Artifacts.PutArtifact(ctx, job.ID, res.Artifact)
	if err != nil {
		return nil, fmt.Errorf("store the artifact of job %s: %w", job.ID, err)
	}
	v, err := h.d.Versions.CreateVersion(ctx, &model.ModelVersion{
		Name:         req.Model,
		Algorithm:    spec.Algorithm,
		Params:       spec.Params,
		Task:         spec.Task,
		Target:       spec.Target,
		Features:     featureColumns(spec.Features),
		Classes:      res.Classes,
		Metrics:      res.Metrics,
		Dataset:      model.DatasetRef{ID: ds.ID, SHA256: ds.SHA256, Rows: ds.Rows},
		Artifact:     ref,
		JobID:        job.ID,
		TrainSeconds: trainSeconds,
		// Importances and iterations are the learner's report of the
		// stored model.
		FeatureImportances: res.FeatureImportances,
		Iterations:         res.Iterations,
		Preprocess:         res.Preprocess,
		Search:             search,
	})
	if err != nil {
		return nil, fmt.Errorf("register the version of job %s: %w", job.ID, err)
	}
	h.d.Logger.Info("model version created", "job_id", job.ID, "model", v.Name, "version", v.Version, "train_seconds", trainSeconds)
	return v, nil
}

// announce tells the API replicas that the named model changed. It is best
// effort, whatever ctx became: their refresh timer covers a lost notice.
func (h *trainHandler) announce(ctx context.Context, job *model.Job, name string) {
	if h.d.Events == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	if err := h.d.Events.ModelChanged(ctx, name); err != nil {
		h.d.Logger.Warn("announce model change; replicas pick it up on their next refresh", "job_id", job.ID, "model", name, "err", err)
	}
}

// announceTimeout bounds announcing a model change.
const announceTimeout = 2 * time.Second

// featureColumns keeps what a version records of its features: names and
// types, not the dataset's value counts.
func featureColumns(cols []model.Column) []model.Column {
	out := make([]model.Column, len(cols))
	for i, c := range cols {
		out[i] = model.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// hashingReader hashes and counts what is read through it, so the dataset's
// bytes are checked against their recorded sha256 on the way to training.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	return n, err
}
