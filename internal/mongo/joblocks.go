package mongo

import (
	"hash/fnv"
	"sync"
)

// jobLocks serializes the conditional updates of one job within this
// process.
//
// On MongoDB a filtered findAndModify or update is atomic, and the filters
// alone fence stale attempts. FerretDB v1 is not: it reads the matching
// document, applies the update in Go and writes the whole document back, with
// nothing stopping a concurrent update from interleaving, so a cancel or an
// attempt could be silently lost. Locking here makes that safe for every
// caller sharing this Store (mlserve-dev and the tests run on FerretDB in one
// process); it costs MongoDB nothing measurable, since updates of one job are
// rare and short.
type jobLocks struct {
	stripes [64]sync.Mutex
}

func newJobLocks() *jobLocks { return &jobLocks{} }

// lock locks the stripe of job id and returns its unlock.
func (l *jobLocks) lock(id string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	m := &l.stripes[h.Sum32()%uint32(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
