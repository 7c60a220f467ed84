package learn

import (
	"reflect"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

func TestEncoding(t *testing.T) {
	color := &csvdata.TableColumn{Name: "color", Type: model.ColumnString, Strings: []string{"red", "blue", "red", "green"}}
	size := &csvdata.TableColumn{Name: "size", Type: model.ColumnNumber, Numbers: []float64{0, 10, 1, 9}}
	cols := []*csvdata.TableColumn{color, size}

	t.Run("strings get a column per training value, sorted; numbers stay as they are", func(t *testing.T) {
		en := NewEncoder(FitEncodings(cols, []int{0, 1, 2}, 0))
		got := en.Encode(cols, []int{0, 1, 3})
		// green was not a training value: its row has no 1.
		want := [][]float64{{0, 1, 0}, {1, 0, 10}, {0, 0, 9}}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(en.Groups(), [][]int{{0, 1}, {2}}) {
			t.Errorf("encode = %v, groups %v", got, en.Groups())
		}
	})
	t.Run("numbers become equal-width bins of the training range, one column per occupied bin", func(t *testing.T) {
		encs := FitEncodings(cols[1:], []int{0, 1, 2}, 5) // 0, 10, 1: bins 0 and 4
		if e := encs[0]; e.Kind != KindBins || e.Min != 0 || e.Max != 10 || !reflect.DeepEqual(e.Occupied, []int{0, 4}) {
			t.Fatalf("encoding %+v", e)
		}
		for _, tt := range []struct {
			v    float64
			want int
		}{{-1, 0}, {0, 0}, {1.99, 0}, {2, 1}, {9.99, 4}, {10, 4}, {11, 4}} {
			if got := encs[0].Bin(tt.v); got != tt.want {
				t.Errorf("bin(%v) = %d, want %d", tt.v, got, tt.want)
			}
		}
		size := &csvdata.TableColumn{Type: model.ColumnNumber, Numbers: []float64{-5, 5, 10}}
		got := NewEncoder(encs).Encode([]*csvdata.TableColumn{size}, []int{0, 1, 2})
		if want := [][]float64{{1, 0}, {0, 0}, {0, 1}}; !reflect.DeepEqual(got, want) {
			t.Errorf("encode = %v, want %v (bin 2 held no training row)", got, want)
		}
	})
	t.Run("a constant number falls in the first bin", func(t *testing.T) {
		e := FitEncodings([]*csvdata.TableColumn{{Type: model.ColumnNumber, Numbers: []float64{3, 3}}}, []int{0, 1}, 4)[0]
		if e.Bin(3) != 0 || e.Bin(100) != 0 || !reflect.DeepEqual(e.Occupied, []int{0}) {
			t.Errorf("encoding %+v", e)
		}
	})
}
