package app

import (
	"testing"

	"gitlab.com/mlserve/mlserve/internal/config"
)

func TestSearchSharesTheCoresAndTheMemory(t *testing.T) {
	const gib = 1 << 30
	for _, c := range []struct {
		name                    string
		jobs                    config.Jobs
		cores                   int
		wantAtOnce, wantThreads int
	}{
		{"by default a trial per core, on one thread each", config.Jobs{TrainMemory: 2 * gib, SearchMemory: 4 * gib}, 2, 2, 1},
		{"the memory bounds the trials at once", config.Jobs{TrainMemory: 2 * gib, SearchMemory: 4 * gib}, 8, 2, 4},
		{"a set parallelism shares the cores", config.Jobs{SearchParallel: 3, TrainMemory: gib, SearchMemory: 8 * gib}, 8, 3, 2},
		{"jobs.train_threads is kept when set", config.Jobs{SearchParallel: 2, TrainThreads: 3, TrainMemory: gib, SearchMemory: 8 * gib}, 8, 2, 3},
		{"at least one trial runs, on at least one thread", config.Jobs{TrainMemory: 4 * gib, SearchMemory: 1 * gib}, 1, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			atOnce, threads := searchShares(&c.jobs, c.cores)
			if atOnce != c.wantAtOnce || threads != c.wantThreads {
				t.Errorf("searchShares = %d at once on %d threads, want %d on %d", atOnce, threads, c.wantAtOnce, c.wantThreads)
			}
		})
	}
}
