package csvdata

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// The repository-wide fixtures in /testdata come from golearn's
// examples/datasets: iris.csv is golearn's iris_headers.csv (its iris.csv
// has no header row).
func TestInspectRealDatasets(t *testing.T) {
	num, str := model.ColumnNumber, model.ColumnString
	// Every vote is 1 or -1.
	votes := []model.Column{{Name: "v16", Type: num, Distinct: 2}}
	for _, name := range []string{"v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15"} {
		votes = append(votes, model.Column{Name: name, Type: num, Distinct: 2})
	}
	votes = append(votes, model.Column{Name: "party", Type: str, Distinct: 2})

	tests := []struct {
		name    string
		file    string
		rows    int64
		columns []model.Column
	}{
		{name: "iris has 150 rows of four measurements and a species", file: "iris.csv", rows: 150,
			columns: []model.Column{
				// Distinct counts from awk over the file's columns.
				{Name: "Sepal length", Type: num, Distinct: 35, Fractional: true}, {Name: "Sepal width", Type: num, Distinct: 23, Fractional: true},
				{Name: "Petal length", Type: num, Distinct: 43, Fractional: true}, {Name: "Petal width", Type: num, Distinct: 22, Fractional: true},
				{Name: "Species", Type: str, Distinct: 3},
			}},
		{name: "house votes has 435 rows of 16 votes and a party", file: "house-votes-84.csv", rows: 435,
			columns: votes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			sum := mustInspect(t, string(raw), Limits{MaxBytes: int64(len(raw)), MaxColumns: len(tt.columns)})
			if !reflect.DeepEqual(sum.Columns, tt.columns) {
				t.Errorf("Columns = %+v,\nwant %+v", sum.Columns, tt.columns)
			}
			if sum.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", sum.Rows, tt.rows)
			}
			if sum.SizeBytes != int64(len(raw)) || sum.SHA256 != sha256Hex(raw) {
				t.Errorf("SizeBytes, SHA256 = %d, %s, want %d, %s", sum.SizeBytes, sum.SHA256, len(raw), sha256Hex(raw))
			}
		})
	}
}
