package api

import (
	"net/http"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// addDataset stores d, with no file, in the test's dataset store.
func (e *testEnv) addDataset(d *model.Dataset) {
	e.datasets.mu.Lock()
	defer e.datasets.mu.Unlock()
	e.datasets.docs[d.ID], e.datasets.files[d.ID] = cloneDataset(d), nil
	e.datasets.order = append(e.datasets.order, d.ID)
}

// irisLike returns a dataset holding iris's columns (the fixture model's
// features and species), then extra.
func irisLike(id string, extra ...model.Column) *model.Dataset {
	num := func(n string) model.Column { return model.Column{Name: n, Type: model.ColumnNumber} }
	cols := []model.Column{num("sepal_length"), num("sepal_width"), num("petal_length"), num("petal_width"),
		{Name: "species", Type: model.ColumnString}}
	return &model.Dataset{ID: id, Name: "scoring", Rows: 10, Columns: append(cols, extra...)}
}

func TestScoreJobCreateRecordsTheResolvedVersion(t *testing.T) {
	tests := []struct {
		name        string
		choice      string // the request's version or alias fields
		wantAlias   string
		wantVersion int
	}{
		{"by alias, the version it points at, keeping the alias", `,"alias":"production"`, "production", 1},
		{"by bare name, the production alias's version", ``, "", 1},
		{"by version, that version", `,"version":1`, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			body := `{"type":"score","model":"iris","dataset":"` + irisDataset + `"` + tt.choice + `}`
			job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", body), http.StatusAccepted)
			if job.Request.Version != tt.wantVersion || job.Request.Alias != tt.wantAlias {
				t.Fatalf("request version %d alias %q, want %d %q", job.Request.Version, job.Request.Alias, tt.wantVersion, tt.wantAlias)
			}
			stored, err := e.jobs.Job(t.Context(), job.ID)
			if err != nil || stored.Request.Version != tt.wantVersion {
				t.Fatalf("stored job %+v, %v: want version %d recorded", stored, err, tt.wantVersion)
			}
		})
	}
	t.Run("moving the alias later leaves the submitted job's version alone", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", scoreBody), http.StatusAccepted)
		if w := e.do(t, "PUT", "/v1/models/iris/aliases/production", `{"version":2}`); w.Code != http.StatusOK {
			t.Fatalf("moving the alias: %d %s", w.Code, w.Body)
		}
		got := mustJSON[model.Job](t, e.do(t, "GET", "/v1/jobs/"+job.ID, ""), http.StatusOK)
		if got.Request.Version != 1 {
			t.Fatalf("version = %d after the alias moved, want 1", got.Request.Version)
		}
	})
}

func TestScoreJobCreateRejectsADatasetThatDoesNotFit(t *testing.T) {
	const id = "64b0000000000000000000e1"
	tests := []struct {
		name    string
		dataset *model.Dataset
		extra   string   // more request fields
		field   string   // the field errors must name
		want    []string // what its problem says
	}{
		{"empty cells in a feature column name the column and the count",
			withEmpty(irisLike(id), "sepal_width", 3), "", "dataset", []string{`column "sepal_width" has 3 empty cells`}},
		{"empty cells and a missing feature are both reported",
			withEmpty(dropColumn(irisLike(id), "petal_width"), "sepal_length", 1), "", "dataset", []string{`no column "petal_width"`, `column "sepal_length" has 1 empty cells`}},
		{"an all-empty feature column is named by its empty cells, not called strings",
			allEmpty(irisLike(id), "sepal_width"), "", "dataset", []string{`column "sepal_width" has 10 empty cells`}},
		{"a string column still cannot feed a number feature",
			withType(irisLike(id), "sepal_width", model.ColumnString), "", "dataset", []string{`column "sepal_width" holds strings`}},
		{"a prediction column echoed by include_input clashes",
			irisLike(id, model.Column{Name: "prediction", Type: model.ColumnString}), `,"include_input":true`, "include_input", []string{`"prediction"`}},
		{"a class probability column echoed by include_input clashes",
			irisLike(id, model.Column{Name: "probability_setosa", Type: model.ColumnNumber}), `,"include_input":true`, "include_input", []string{`"probability_setosa"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addDataset(tt.dataset)
			body := `{"type":"score","model":"iris","dataset":"` + id + `"` + tt.extra + `}`
			p := mustProblem(t, e.do(t, "POST", "/v1/jobs", body), http.StatusUnprocessableEntity)
			for _, want := range tt.want {
				if !strings.Contains(p.Errors[tt.field], want) {
					t.Fatalf("errors = %v, want %s to say %s", p.Errors, tt.field, want)
				}
			}
			if len(e.queue.enqueuedIDs()) != 0 {
				t.Fatal("an invalid score job was enqueued")
			}
		})
	}
	t.Run("empty feature cells are fine for an algorithm that handles missing values", func(t *testing.T) {
		e := newTestEnv(t)
		e.versions.mu.Lock()
		e.versions.versions["iris"][0].Algorithm = "gradient_boosting"
		e.versions.mu.Unlock()
		e.addDataset(withEmpty(irisLike(id), "sepal_width", 3))
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", `{"type":"score","model":"iris","version":1,"dataset":"`+id+`"}`), http.StatusAccepted)
	})
	t.Run("an all-empty feature column is fine for an algorithm that handles missing values", func(t *testing.T) {
		e := newTestEnv(t)
		e.versions.mu.Lock()
		e.versions.versions["iris"][0].Algorithm = "gradient_boosting"
		e.versions.mu.Unlock()
		e.addDataset(allEmpty(irisLike(id), "sepal_width"))
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", `{"type":"score","model":"iris","version":1,"dataset":"`+id+`"}`), http.StatusAccepted)
	})
	t.Run("empty cells outside the features are fine", func(t *testing.T) {
		e := newTestEnv(t)
		e.addDataset(withEmpty(irisLike(id), "species", 4))
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", `{"type":"score","model":"iris","dataset":"`+id+`"}`), http.StatusAccepted)
	})
	t.Run("an output column name is fine without include_input", func(t *testing.T) {
		e := newTestEnv(t)
		e.addDataset(irisLike(id, model.Column{Name: "prediction", Type: model.ColumnString}))
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", `{"type":"score","model":"iris","dataset":"`+id+`"}`), http.StatusAccepted)
	})
}

// withEmpty returns d with n empty cells in column name.
func withEmpty(d *model.Dataset, name string, n int64) *model.Dataset {
	for i := range d.Columns {
		if d.Columns[i].Name == name {
			d.Columns[i].Empty = n
		}
	}
	return d
}

// allEmpty returns d with column name empty in every row, as csvdata
// describes such a column.
func allEmpty(d *model.Dataset, name string) *model.Dataset {
	withType(d, name, model.ColumnEmpty)
	return withEmpty(d, name, d.Rows)
}

// withType returns d with column name of type typ.
func withType(d *model.Dataset, name, typ string) *model.Dataset {
	for i := range d.Columns {
		if d.Columns[i].Name == name {
			d.Columns[i].Type = typ
		}
	}
	return d
}

// dropColumn returns d without column name.
func dropColumn(d *model.Dataset, name string) *model.Dataset {
	cols := d.Columns[:0]
	for _, c := range d.Columns {
		if c.Name != name {
			cols = append(cols, c)
		}
	}
	d.Columns = cols
	return d
}
