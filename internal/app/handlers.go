package app

import (
	"log/slog"
	"runtime"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/dscache"
	"gitlab.com/mlserve/mlserve/internal/learners"
	"gitlab.com/mlserve/mlserve/internal/modelcache"
	"gitlab.com/mlserve/mlserve/internal/redisx"
	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/internal/trainproc"
	"gitlab.com/mlserve/mlserve/model"
	"gitlab.com/mlserve/mlserve/worker"
)

// Handlers are the production job handlers; release frees what they hold
// (the worker's dataset copies) once the worker has stopped. Training runs
// in a child process of this same binary (see internal/trainproc), so every
// binary that runs a worker must call trainproc.ServeChild first thing in
// main.
func Handlers(cfg *config.Config, b *Backends, logger *slog.Logger) (handlers worker.Handlers, release func(), err error) {
	trainer := trainproc.NewRunner(trainproc.Options{MemoryLimit: cfg.Jobs.TrainMemory, Threads: cfg.Jobs.TrainThreads,
		Logger: logger.With("component", "trainer")})
	trialsAtOnce, trialThreads := searchShares(&cfg.Jobs, runtime.GOMAXPROCS(0))
	trials := trainproc.NewRunner(trainproc.Options{MemoryLimit: cfg.Jobs.TrainMemory, Threads: trialThreads,
		Logger: logger.With("component", "trainer")})
	// Score jobs name an exact version, so the cache needs no refreshing:
	// it only keeps a worker from loading a model once per part.
	models := modelcache.New(modelcache.Options{
		Versions:  b.Store,
		Artifacts: b.Store,
		Loader:    learners.NewPredictorLoader(),
		MaxBytes:  cfg.Cache.Bytes,
		Loads:     b.loadObserver(),
		Logger:    logger.With("component", "modelcache"),
	})
	b.watch(models)
	var datasets model.DatasetStore = b.Store
	release = func() {}
	if cfg.Worker.DatasetCache > 0 {
		cache, err := dscache.New(b.Store, "", cfg.Worker.DatasetCache, logger.With("component", "dscache"))
		if err != nil {
			return nil, nil, err
		}
		datasets = cache
		release = func() {
			if err := cache.Close(); err != nil {
				logger.Warn("remove dataset copies", "err", err)
			}
		}
	}
	return worker.Handlers{
		model.JobTrain: worker.NewTrainHandler(worker.TrainDeps{
			Datasets:     datasets,
			Versions:     b.Store,
			Artifacts:    b.Store,
			Trainer:      trainer,
			Trials:       trials,
			TrialsAtOnce: trialsAtOnce,
			Events:       redisx.NewPublisher(b.Redis),
			Logger:       logger,
		}),
		model.JobScore: worker.NewScoreHandler(worker.ScoreDeps{
			Jobs:     b.jobStore(),
			Datasets: datasets,
			Scores:   b.Store,
			Models:   models,
			Parts:    tasks.NewQueue(b.Redis, tasks.OptionsFrom(cfg.Jobs)),
			PartRows: cfg.Jobs.ScorePartRows,
			Scored:   b.scored(),
			Logger:   logger.With("component", "score"),
		}),
	}, release, nil
}

// searchShares is how many trials of a search train at once, and on how
// many threads each: jobs.search_parallel (0: one per core), no more than
// jobs.search_memory holds at jobs.train_memory each; every trial gets an
// equal share of the cores unless jobs.train_threads says otherwise.
func searchShares(jobs *config.Jobs, cores int) (atOnce, threads int) {
	atOnce = jobs.SearchParallel
	if atOnce == 0 {
		atOnce = cores
	}
	atOnce = max(1, min(atOnce, int(jobs.SearchMemory/max(1, jobs.TrainMemory))))
	threads = jobs.TrainThreads
	if threads == 0 {
		threads = max(1, cores/atOnce)
	}
	return atOnce, threads
}

// scored is told the rows of every part a worker scores, when there are
// metrics.
func (b *Backends) scored() func(rows int64) {
	if b.Metrics == nil {
		return nil
	}
	return b.Metrics.Jobs.Scored
}
