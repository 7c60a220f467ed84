package worker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"gitlab.com/mlserve/mlserve/model"
)

// search runs a train job's search (spec.Search): every candidate as a
// trial (model.TrialSpec) in a training process of its own, up to
// TrainDeps.TrialsAtOnce at a time (see largestFirst), and returns every trial and the best
// one: the highest mean (the lowest for rmse and mae), the first of
// equals. Progress counts trials, out of the trials and the final fit.
//
// A trial whose training fails (a crash, its memory limit, bad data for
// that candidate) is recorded failed and the search goes on; when every
// trial fails the search fails. Once ctx is done no trial starts, every
// running one is killed, and search returns an error wrapping ctx.Err().
// An error reading the dataset fails the search, to be retried.
func (h *trainHandler) search(ctx context.Context, job *model.Job, spec *model.TrainSpec, progress Reporter) (*model.SearchResult, error) {
	plan := spec.Search
	n := len(plan.Candidates)
	trials := make([]model.Trial, n)
	var (
		mu      sync.Mutex
		done    int64
		readErr error
	)
	report := func() {
		mu.Lock()
		defer mu.Unlock()
		_ = progress.Report(ctx, model.Progress{Done: done, Total: int64(n) + 1})
	}
	report()
	slots := make(chan struct{}, max(1, h.d.TrialsAtOnce))
	var wg sync.WaitGroup
	for _, i := range largestFirst(plan.Candidates) {
		c := plan.Candidates[i]
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			t, err := h.trial(ctx, job, spec, c)
			mu.Lock()
			trials[i], done = t, done+1
			if err != nil && readErr == nil {
				readErr = err
			}
			mu.Unlock()
			report()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("search stopped after %d of %d trials: %w", done, n, err)
	}
	if readErr != nil {
		return nil, readErr
	}
	best := -1
	for i, t := range trials {
		if t.Status == model.TrialSucceeded && (best < 0 || better(plan.Metric, *t.Mean, *trials[best].Mean)) {
			best = i
		}
	}
	if best < 0 {
		return nil, model.Errorf(model.CodeTrainFailed, "every trial of the search failed; the first: %s", trials[0].Error)
	}
	h.d.Logger.Info("search done", "job_id", job.ID, "trials", n, "best", best, "algorithm", trials[best].Algorithm, "metric", plan.Metric, "mean", *trials[best].Mean)
	return &model.SearchResult{Metric: plan.Metric, Folds: plan.Folds, Best: trials[best], Trials: trials}, nil
}

// largestFirst returns the candidates' indexes, those with the most trees
// or iterations first (the order of the plan among equals): started that
// way, the last trials to finish are short ones, and the slots stay busy
// to the end.
func largestFirst(cs []model.Candidate) []int {
	size := func(c model.Candidate) float64 {
		for _, name := range []string{"trees", "iterations"} {
			if n, ok := c.Params[name].(int); ok {
				return float64(n)
			}
		}
		return 1
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size(cs[b]), size(cs[a])) })
	return order
}

// better reports whether mean a beats mean b in metric's direction.
func better(metric string, a, b float64) bool {
	if model.HigherIsBetter(metric) {
		return a > b
	}
	return a < b
}

// trial trains one candidate as a trial. A training error is the trial's
// failure, not an error; an error opening the dataset is returned.
func (h *trainHandler) trial(ctx context.Context, job *model.Job, spec *model.TrainSpec, c model.Candidate) (model.Trial, error) {
	t := model.Trial{Algorithm: c.Algorithm, Params: c.Params, Status: model.TrialFailed}
	s := *spec
	s.Algorithm, s.Params, s.Search = c.Algorithm, c.Params, nil
	s.Trial = &model.TrialSpec{Metric: spec.Search.Metric, Folds: spec.Search.Folds, Seed: spec.Search.Seed}
	_, csv, err := h.d.Datasets.OpenDatasetCSV(ctx, job.Request.Dataset)
	if err != nil {
		return t, fmt.Errorf("open dataset %s for a trial: %w", job.Request.Dataset, err)
	}
	defer csv.Close()
	started := h.d.Now()
	res, err := h.trials().Train(ctx, s, csv, nil)
	t.Seconds = h.d.Now().Sub(started).Seconds()
	switch {
	case err != nil:
		t.Error = model.ErrorMessage(err)
	case res.Trial == nil:
		t.Error = "the trial reported no score"
	default:
		t.Status, t.Mean, t.Std, t.Scores = model.TrialSucceeded, &res.Trial.Mean, &res.Trial.Std, res.Trial.Scores
	}
	return t, nil
}

// trials is the trainer of search trials.
func (h *trainHandler) trials() model.Trainer {
	if h.d.Trials != nil {
		return h.d.Trials
	}
	return h.d.Trainer
}
