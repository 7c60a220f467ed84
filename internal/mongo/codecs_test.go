package mongo

import (
	"context"
	"reflect"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// FerretDB v1 refuses arrays inside arrays; a confusion matrix is stored
// in a form it takes, wherever it appears, and reads back as it was.
func TestConfusionMatrixRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	metrics := newVersion("iris", "j1").Metrics
	metrics.Classification.Confusion = model.ConfusionMatrix{
		Labels: []string{"a", "b", "c"},
		Counts: [][]int{{5, 0, 1}, {0, 7, 0}, {2, 0, 9}},
	}
	job := &model.Job{ID: "0123456789abcdef01234567", Type: model.JobTrain, Status: model.StatusSucceeded,
		Result: &model.JobResult{Model: "iris", Version: 1, Metrics: &metrics}}
	if err := s.insert(ctx, collJobs, job); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Result, job.Result) {
		t.Fatalf("result read back as\n%+v\nwant\n%+v", got.Result.Metrics.Classification, metrics.Classification)
	}
}
