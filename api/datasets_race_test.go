package api

import (
	"net/http"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// TestDatasetDeleteRacesJobSubmission sends DELETE /v1/datasets/{id} and
// POST /v1/jobs for the same dataset at the same moment, many times, on the
// real store: never are both accepted.
func TestDatasetDeleteRacesJobSubmission(t *testing.T) {
	t.Parallel()
	e, _ := newStoreEnv(t)
	iris := readIris(t)
	const rounds, perRound = 4, 5
	for r := range rounds {
		ids := make([]string, perRound)
		for i := range ids {
			ids[i] = mustJSON[model.Dataset](t, e.uploadCSV(t, "iris", iris), http.StatusCreated).ID
		}
		deletes, submits := make([]int, perRound), make([]int, perRound)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				<-start
				deletes[i] = e.do(t, "DELETE", "/v1/datasets/"+id, "").Code
			})
			wg.Go(func() {
				<-start
				body := `{"type":"train","model":"iris","dataset":"` + id + `","target":"Species","algorithm":"random_forest"}`
				submits[i] = e.do(t, "POST", "/v1/jobs", body).Code
			})
		}
		close(start)
		wg.Wait()
		for i := range ids {
			d, s := deletes[i], submits[i]
			if d != http.StatusNoContent && d != http.StatusConflict {
				t.Errorf("round %d pair %d: DELETE answered %d, want 204 or 409", r, i, d)
			}
			if s != http.StatusAccepted && s != http.StatusConflict && s != http.StatusUnprocessableEntity {
				t.Errorf("round %d pair %d: POST /v1/jobs answered %d, want 202, 409 or 422", r, i, s)
			}
			if d == http.StatusNoContent && s == http.StatusAccepted {
				t.Errorf("round %d pair %d: the dataset was deleted and a job for it accepted", r, i)
			}
		}
	}
}
