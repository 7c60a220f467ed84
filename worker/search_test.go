package worker

import (
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/learners"
	"gitlab.com/mlserve/mlserve/model"
)

// searchRequest searches knn and a decision tree, two candidates each,
// by 3-fold cross-validation of iris's training rows.
func (e *trainEnv) searchJob(tb testing.TB) *model.Job {
	tb.Helper()
	req := model.JobRequest{Type: model.JobTrain, Model: "iris", Dataset: e.dataset.ID, Target: "Species",
		Search: &model.SearchSpec{Metric: model.MetricAccuracy, Folds: 3, Algorithms: map[string]model.SearchSpace{
			"knn":           {Grid: map[string][]any{"k": {1.0, 15.0}}},
			"decision_tree": {Grid: map[string][]any{"max_depth": {1.0, 3.0}}},
		}}}
	job, _, err := e.store.CreateJob(context.Background(), &model.Job{Type: model.JobTrain, Request: req}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return job
}

// trialTrainer trains trials with the real learners, in this process,
// counting how many run at once; hold, when set, decides per trial
// whether to wait for its context instead, and fail whether to fail it.
type trialTrainer struct {
	real model.Trainer
	hold func(model.TrainSpec) bool
	fail func(model.TrainSpec) bool

	mu             sync.Mutex
	running, most  int
	started, ended int
}

func (t *trialTrainer) Train(ctx context.Context, spec model.TrainSpec, data io.Reader, progress func(model.Progress)) (*model.TrainResult, error) {
	t.mu.Lock()
	t.running, t.started = t.running+1, t.started+1
	t.most = max(t.most, t.running)
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.running, t.ended = t.running-1, t.ended+1
		t.mu.Unlock()
	}()
	switch {
	case t.hold != nil && t.hold(spec):
		<-ctx.Done()
		return nil, ctx.Err()
	case t.fail != nil && t.fail(spec):
		return nil, model.Errorf(model.CodeTrainFailed, "the training process died: signal: killed")
	}
	time.Sleep(20 * time.Millisecond) // long enough for trials to overlap
	return t.real.Train(ctx, spec, data, progress)
}

func (e *trainEnv) withTrials(t *trialTrainer, atOnce int) {
	e.handler.(*trainHandler).d.Trainer = learners.NewTrainer()
	e.handler.(*trainHandler).d.Trials, e.handler.(*trainHandler).d.TrialsAtOnce = t, atOnce
}

func TestSearch(t *testing.T) {
	ctx := context.Background()

	t.Run("a search registers its best candidate with every trial, each scored as when trained alone", func(t *testing.T) {
		e := newTrainEnv(t)
		trials := &trialTrainer{real: learners.NewTrainer()}
		e.withTrials(trials, 2)
		var rep nopReporter
		job := e.searchJob(t)
		res, err := e.handler.Run(ctx, job, &rep)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.store.ResolveVersion(ctx, "iris", res.Version, "")
		if err != nil {
			t.Fatal(err)
		}
		s := v.Search
		if s == nil || len(s.Trials) != 4 || s.Metric != model.MetricAccuracy || s.Folds != 3 {
			t.Fatalf("search %+v: want 4 trials by 3-fold accuracy", s)
		}
		if trials.most != 2 || rep.last != (model.Progress{Done: 5, Total: 5}) {
			t.Errorf("%d trials at once (want 2), last progress %+v (want 5 of 5)", trials.most, rep.last)
		}
		spec, err := model.PrepareTrain(&job.Request, e.dataset)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i, tr := range s.Trials {
			if tr.Status != model.TrialSucceeded || len(tr.Scores) != 3 {
				t.Fatalf("trial %d: %+v", i, tr)
			}
			if *tr.Mean > *s.Trials[best].Mean {
				best = i
			}
			alone := *spec
			alone.Algorithm, alone.Params, alone.Search = tr.Algorithm, tr.Params, nil
			alone.Trial = &model.TrialSpec{Metric: s.Metric, Folds: s.Folds, Seed: 1}
			got, err := learners.NewTrainer().Train(ctx, alone, e.csv(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Trial.Scores, tr.Scores) || got.Trial.Mean != *tr.Mean {
				t.Errorf("trial %d (%s %v): scores %v in the search, %v alone", i, tr.Algorithm, tr.Params, tr.Scores, got.Trial.Scores)
			}
		}
		if !reflect.DeepEqual(s.Best, s.Trials[best]) || v.Algorithm != s.Best.Algorithm || !reflect.DeepEqual(v.Params, s.Best.Params) {
			t.Errorf("best %+v, version %s %v; want trial %d, %+v", s.Best, v.Algorithm, v.Params, best, s.Trials[best])
		}
	})

	t.Run("a trial that crashes is recorded failed and the search goes on", func(t *testing.T) {
		e := newTrainEnv(t)
		e.withTrials(&trialTrainer{real: learners.NewTrainer(), fail: func(s model.TrainSpec) bool { return s.Algorithm == "knn" && s.Params["k"] == 1 }}, 2)
		res, err := e.handler.Run(ctx, e.searchJob(t), &nopReporter{})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := e.store.ResolveVersion(ctx, "iris", res.Version, "")
		failed := 0
		for _, tr := range v.Search.Trials {
			if tr.Status == model.TrialFailed {
				failed++
				if tr.Mean != nil || tr.Error == "" {
					t.Errorf("failed trial %+v: want an error and no score", tr)
				}
			}
		}
		if failed != 1 {
			t.Errorf("%d trials failed, want 1", failed)
		}
	})

	t.Run("canceling a search stops every trial and registers nothing", func(t *testing.T) {
		e := newTrainEnv(t)
		trials := &trialTrainer{real: learners.NewTrainer(), hold: func(model.TrainSpec) bool { return true }}
		e.withTrials(trials, 2)
		ctx, cancel := context.WithCancel(ctx)
		go func() {
			for {
				trials.mu.Lock()
				n := trials.started
				trials.mu.Unlock()
				if n == 2 {
					cancel()
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		_, err := e.handler.Run(ctx, e.searchJob(t), &nopReporter{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if trials.started != 2 || trials.ended != 2 {
			t.Errorf("%d trials started, %d ended: want the 2 running stopped and no other started", trials.started, trials.ended)
		}
		if _, err := e.store.ResolveVersion(ctx, "iris", 1, ""); model.ErrorCode(err) != model.CodeNotFound && !errors.Is(err, context.Canceled) {
			t.Errorf("a version after a canceled search: %v", err)
		}
	})
}

// csv opens the env's dataset.
func (e *trainEnv) csv(tb testing.TB) io.Reader {
	tb.Helper()
	_, r, err := e.store.OpenDatasetCSV(context.Background(), e.dataset.ID)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}
