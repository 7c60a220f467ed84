package csvdata

import (
	"math/bits"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// columnStats is what Inspect learns about one column as rows stream by:
// its kind, its empty cells and its distinct values.
type columnStats struct {
	kind       kind
	empty      int64
	distinct   distinctSet
	fractional bool // a number seen so far is not a whole number
}

// see counts one cell. Values are compared trimmed, as they are typed.
func (s *columnStats) see(v string) {
	v = strings.TrimSpace(v)
	if v == "" { // see IsEmpty
		s.empty++
		return
	}
	s.kind = s.kind.see(v)
	if s.kind == kindNumber && !s.fractional {
		s.fractional = !wholeNumber(v)
	}
	s.distinct.add(v)
}

// column returns the column named name as Inspect reports it.
func (s *columnStats) column(name string) model.Column {
	return model.Column{Name: name, Type: s.kind.columnType(), Distinct: s.distinct.n, Empty: s.empty,
		Fractional: s.kind == kindNumber && s.fractional}
}

// distinctSlots is the size of a distinctSet's table: a power of two at
// least twice model.DistinctCap, so probes stay short.
const distinctSlots = 256

// distinctSet counts distinct strings up to model.DistinctCap, which
// bounds its memory per column, and is all a caller needs to know (whether
// the column can be a classification target or an encoded string
// feature). Inspect adds every cell of a low-cardinality column, so this
// is a small open-addressing table rather than a Go map (which made the
// whole inspection about 60% slower): a cheap hash, and the hashes kept
// apart from the values so the probing stays in a 1 KiB array.
type distinctSet struct {
	n      int
	hashes []uint32 // 0: free; allocated on the first add
	vals   []string
}

func (d *distinctSet) add(v string) {
	if d.n >= model.DistinctCap {
		return
	}
	if d.hashes == nil {
		d.hashes = make([]uint32, distinctSlots)
		d.vals = make([]string, distinctSlots)
	}
	h := uint32(hashValue(v))
	for i := h; ; i++ {
		i %= distinctSlots
		switch d.hashes[i] {
		case 0:
			d.hashes[i] = h
			// v shares the record's memory; a clone keeps only the value.
			d.vals[i] = strings.Clone(v)
			d.n++
			return
		case h:
			if d.vals[i] == v {
				return
			}
		}
	}
}

// hashValue hashes a cell cheaply and never returns 0: a value of up to 8
// bytes (most numbers and codes) is packed into a word, a longer one is
// summarized by its length and its first and last 8 bytes; one multiply
// mixes the word. Collisions only cost a string comparison.
func hashValue(v string) uint64 {
	var k uint64
	if n := len(v); n <= 8 {
		for i := 0; i < n; i++ {
			k |= uint64(v[i]) << (8 * i)
		}
		k ^= uint64(n) << 59
	} else {
		k = word(v) ^ bits.RotateLeft64(word(v[n-8:]), 29) ^ uint64(n)<<59
	}
	return (k*0x9e3779b97f4a7c15)>>32 | 1
}

// word reads the first 8 bytes of v, which has at least 8, as one load.
func word(v string) uint64 {
	_ = v[7]
	return uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
		uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
}
