package scoring

import (
	"math"
	"strconv"
)

// floatText formats numbers as strconv.AppendFloat(b, v, 'g', -1, 64)
// does, remembering the text of the last few values: a forest's
// probabilities are a few fractions (votes over trees) written millions of
// times, and copying their text is ten times cheaper than finding it.
// Values that are all different, as a regression's, cost a failed lookup.
type floatText struct {
	bits [floatSlots]uint64
	len  [floatSlots]uint8 // 0: the slot is empty
	text [floatSlots][maxFloatText]byte
}

const (
	floatSlots = 256
	// maxFloatText is the longest 'g', -1 text of a float64, such as
	// -2.2250738585072014e-308.
	maxFloatText = 24
)

func (c *floatText) append(b []byte, v float64) []byte {
	bits := math.Float64bits(v)
	i := (bits * 0x9e3779b97f4a7c15) >> 56 // Fibonacci hashing: the top 8 bits
	if n := c.len[i]; n != 0 && c.bits[i] == bits {
		return append(b, c.text[i][:n]...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'g', -1, 64)
	if n := len(b) - start; n <= maxFloatText {
		c.bits[i], c.len[i] = bits, uint8(n)
		copy(c.text[i][:], b[start:])
	}
	return b
}
