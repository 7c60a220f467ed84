package trees

import (
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// FuzzLoadPredictor checks that LoadPredictor never panics and refuses
// what it cannot read as CodeCorrupt, and that whatever it accepts
// predicts a row as the reference does.
func FuzzLoadPredictor(f *testing.F) {
	for _, art := range artifacts(f) {
		f.Add(art)
		f.Add(art[:len(art)/2])
		f.Add(art[:len(art)-1])
	}
	for _, s := range []string{"", learn.Magic, learn.Magic + "{}\n", learn.Magic + `{"format":"trees/1"}` + "\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadPredictor(data)
		if err != nil {
			if p != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("LoadPredictor = %v, %v; want nil and a CodeCorrupt error", p, err)
			}
			return
		}
		env, ref, err := load(data)
		if err != nil {
			t.Fatal(err)
		}
		table := &csvdata.Table{Rows: 1}
		for j, c := range p.Features() {
			col := csvdata.TableColumn{Name: c.Name, Type: c.Type}
			if c.Type == model.ColumnString {
				col.Strings = []string{"x"}
			} else {
				col.Numbers = []float64{float64(j)}
			}
			table.Columns = append(table.Columns, col)
		}
		checkParity(t, env, ref, p, table)
	})
}
