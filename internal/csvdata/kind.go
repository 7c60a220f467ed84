package csvdata

import "gitlab.com/mlserve/mlserve/model"

// kind is what a column's values have shown so far. It only moves forward:
// unknown → number → text, or unknown → text.
type kind uint8

const (
	kindUnknown kind = iota // only empty values so far
	kindNumber
	kindText
)

// see returns the kind after one more non-empty value, trimmed of white
// space (empty cells do not decide a kind; see IsEmpty). Once a column is
// text its values are not parsed any more, which keeps string columns
// cheap.
func (k kind) see(v string) kind {
	if k == kindText {
		return k
	}
	if isNumber(v) {
		return kindNumber
	}
	return kindText
}

func (k kind) columnType() string {
	switch k {
	case kindNumber:
		return model.ColumnNumber
	case kindUnknown:
		return model.ColumnEmpty
	}
	return model.ColumnString
}
