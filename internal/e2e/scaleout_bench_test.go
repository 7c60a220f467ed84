package e2e

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// BenchmarkScoreScaleOut scores with one, then two `mlserve worker`
// processes of one job slot each (so a lone worker's coordinator scores
// every part itself, and a second worker can only help through part
// tasks), and reports the seconds from submit to succeeded by the job's own
// timestamps. Two workloads:
//
//   - forest: the reference 50-tree forest over the 1,000,000-row dataset,
//     which on the embedded FerretDB is bound by the store's writes;
//   - knn: k-nearest neighbours (cosine distance, which no k-d tree
//     serves: every row is compared with every training row) over 3,000
//     training rows scoring 500,000 rows, where predicting is the work.
//
// Workers keep a local copy of the dataset (worker.dataset_cache), as they
// should on FerretDB, whose range reads scan the whole bucket.
//
//	go test -run '^$' -bench ScoreScaleOut -benchtime 1x ./internal/e2e/
func BenchmarkScoreScaleOut(b *testing.B) {
	d := bigDataset(b)
	for _, load := range []string{"forest", "knn"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", load, workers), func(b *testing.B) {
				c := newCluster(b)
				api := c.startAPI()
				settings := map[string]string{
					"MLSERVE_WORKER_CONCURRENCY":   "1",
					"MLSERVE_WORKER_DATASET_CACHE": "1GiB",
					"MLSERVE_JOBS_SCORE_PART_ROWS": "50000",
				}
				for range workers {
					c.startWorker(settings)
				}
				scored := d
				if load == "forest" {
					trainIris(b, api)
				} else {
					trainKNN(b, api, d.head(3000))
					scored = d.head(500_000)
				}
				ds := api.uploadDataset(b, "scored", scored.csv)
				var total time.Duration
				b.ResetTimer()
				for range b.N {
					job := api.submit(b, map[string]any{"type": "score", "model": modelName, "dataset": ds.ID})
					done := api.waitSucceeded(b, job.ID, 10*time.Minute)
					total += done.FinishedAt.Sub(done.CreatedAt)
				}
				b.ReportMetric(total.Seconds()/float64(b.N), "s/job")
				b.ReportMetric(float64(scored.rows())*float64(b.N)/total.Seconds(), "rows/s")
			})
		}
	}
}

// trainKNN trains a 5-nearest-neighbours model as version production of
// the model on d, labelled by petal length the way iris's species go.
func trainKNN(tb testing.TB, c *client, d *dataset) {
	tb.Helper()
	var csv bytes.Buffer
	lines := bytes.Split(bytes.TrimSuffix(d.csv, []byte("\n")), []byte("\n"))
	csv.Write(lines[0])
	csv.WriteString(",Class\n")
	for i, line := range lines[1:] {
		class := "c"
		if petal := d.row(i)[2]; petal < 2.5 {
			class = "a"
		} else if petal < 4.9 {
			class = "b"
		}
		csv.Write(line)
		csv.WriteString("," + class + "\n")
	}
	ds := c.uploadDataset(tb, "labelled"+strconv.Itoa(d.rows()), csv.Bytes())
	job := c.submit(tb, map[string]any{
		"type": "train", "model": modelName, "dataset": ds.ID, "target": "Class",
		"features": d.header[1:], "algorithm": "knn", "params": map[string]any{"k": 5, "distance": "cosine"},
		"set_alias": "production",
	})
	c.waitSucceeded(tb, job.ID, 2*time.Minute)
}
