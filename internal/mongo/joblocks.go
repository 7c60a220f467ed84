package mongo

import (
	"hash/fnv"
	"sync"
)

// keyLocks serializes the conditional updates of one document (a job, a
// model's summary) within this process, by key.
//
// On MongoDB a filtered findAndModify or update is atomic, and the filters
// alone fence stale attempts. FerretDB v1 is not: it reads the matching
// document, applies the update in Go and writes the whole document back, with
// nothing stopping a concurrent update from interleaving, so a cancel, an
// attempt or a model's version high-water mark could be silently lost.
// Locking here makes that safe for every caller sharing this Store
// (mlserve-dev and the tests run on FerretDB in one process); it costs
// MongoDB nothing measurable, since updates of one document are rare and
// short.
type keyLocks struct {
	stripes [64]sync.Mutex
}

func newKeyLocks() *keyLocks { return &keyLocks{} }

// lock locks the stripe of key and returns its unlock.
func (l *keyLocks) lock(key string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	m := &l.stripes[h.Sum32()%uint32(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
