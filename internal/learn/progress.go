package learn

import (
	"sync"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// progressEvery is the least time between two progress reports: each
// becomes a store write in the worker, and a forest of small trees would
// otherwise report thousands a second.
const progressEvery = 250 * time.Millisecond

// reporter passes a training's progress on, never backwards, at most
// every p.every (progressEvery) but for the first and last report. It is safe for
// concurrent use, as learners report from the goroutines that fit.
type reporter struct {
	mu     sync.Mutex
	report func(model.Progress)
	total  int64
	done   int64
	last   time.Time
	every  time.Duration
}

func newReporter(report func(model.Progress), total int64, every time.Duration) *reporter {
	return &reporter{report: report, total: total, done: -1, every: every}
}

// set records that done units are done.
func (p *reporter) set(done int64) {
	if p.report == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if done <= p.done {
		return
	}
	first := p.done < 0
	p.done = done
	if now := time.Now(); first || done == p.total || now.Sub(p.last) >= p.every {
		p.last = now
		p.report(model.Progress{Done: done, Total: p.total})
	}
}
