package app

import (
	"log/slog"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/redisx"
	"gitlab.com/mlserve/mlserve/internal/trainproc"
	"gitlab.com/mlserve/mlserve/model"
	"gitlab.com/mlserve/mlserve/worker"
)

// Handlers are the production job handlers. Training runs in a child
// process of this same binary (see internal/trainproc), so every binary that
// runs a worker must call trainproc.ServeChild first thing in main.
func Handlers(cfg *config.Config, b *Backends, logger *slog.Logger) worker.Handlers {
	trainer := trainproc.NewRunner(trainproc.Options{MemoryLimit: cfg.Jobs.TrainMemory, Logger: logger.With("component", "trainer")})
	return worker.Handlers{
		model.JobTrain: worker.NewTrainHandler(worker.TrainDeps{
			Datasets:  b.Store,
			Versions:  b.Store,
			Artifacts: b.Store,
			Trainer:   trainer,
			Events:    redisx.NewPublisher(b.Redis),
			Logger:    logger,
		}),
	}
}
