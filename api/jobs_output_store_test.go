package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/scoring"
	"gitlab.com/mlserve/mlserve/model"
)

// storeScoreJob stores a score job that succeeded with parts as its output,
// each scored as a worker does: claim, write a new output file, complete.
func storeScoreJob(tb testing.TB, store *mongo.Store, parts ...string) *model.Job {
	tb.Helper()
	ctx := context.Background()
	// A job needs its dataset; an earlier call may have stored it.
	if err := store.InsertDataset(ctx, &model.Dataset{ID: irisDataset, Name: "iris"}); err != nil && model.ErrorCode(err) != model.CodeConflict {
		tb.Fatal(err)
	}
	job, _, err := store.CreateJob(ctx, &model.Job{Type: model.JobScore, Status: model.StatusQueued,
		Request: model.JobRequest{Type: model.JobScore, Model: "iris", Version: 1, Dataset: irisDataset}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if job, err = store.StartAttempt(ctx, job.ID, testNow); err != nil {
		tb.Fatal(err)
	}
	plan := make([]*model.ScorePart, len(parts))
	for i := range parts {
		plan[i] = &model.ScorePart{JobID: job.ID, Index: i, Rows: int64(strings.Count(parts[i], "\n"))}
	}
	if err := store.CreateParts(ctx, plan); err != nil {
		tb.Fatal(err)
	}
	size, rows := int64(len(scoring.CSVHeader(outputCols))), int64(0)
	for i, p := range plan {
		if _, err := store.ClaimPart(ctx, p.ID, "w1", testNow, testNow.Add(time.Minute)); err != nil {
			tb.Fatal(err)
		}
		out, err := store.CreatePartOutput(ctx, p)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := out.Write([]byte(parts[i])); err != nil {
			tb.Fatal(err)
		}
		if err := out.Close(); err != nil {
			tb.Fatal(err)
		}
		if err := store.CompletePart(ctx, p.ID, "w1", out.ID(), out.Size(), testNow); err != nil {
			tb.Fatal(err)
		}
		size += out.Size()
		rows += p.Rows
	}
	progress := model.Progress{Done: rows, Total: rows, PartsDone: len(parts), PartsTotal: len(parts)}
	if _, err := store.SetProgress(ctx, job.ID, job.Attempts, progress); err != nil {
		tb.Fatal(err)
	}
	result := &model.JobResult{Model: "iris", Version: 1, Rows: rows, OutputBytes: size, Columns: outputCols}
	if err := store.Finish(ctx, job.ID, job.Attempts, model.StatusSucceeded, result, nil, testNow); err != nil {
		tb.Fatal(err)
	}
	if job, err = store.Job(ctx, job.ID); err != nil {
		tb.Fatal(err)
	}
	return job
}

func TestJobOutputOnRealStore(t *testing.T) {
	t.Parallel()
	e, store := newStoreEnv(t)
	// The middle part spans several chunks.
	var big strings.Builder
	for i := 0; big.Len() < 700<<10; i++ {
		fmt.Fprintf(&big, "%d.5,%d,versicolor,versicolor,0,0.9,0.1\n", i%10, i)
	}
	parts := []string{scoredParts[0], big.String(), scoredParts[2]}
	job := storeScoreJob(t, store, parts...)

	t.Run("the CSV is the header and the parts, byte for byte", func(t *testing.T) {
		w := e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", "")
		want := outputHeader + strings.Join(parts, "")
		if w.Code != http.StatusOK || w.Body.String() != want {
			t.Fatalf("status %d, %d bytes; want 200 and the %d bytes of the output", w.Code, w.Body.Len(), len(want))
		}
		if got := w.Header().Get("Content-Length"); got != fmt.Sprint(job.Result.OutputBytes) || job.Result.OutputBytes != int64(len(want)) {
			t.Fatalf("Content-Length %s, output_bytes %d, body %d bytes", got, job.Result.OutputBytes, len(want))
		}
	})
	t.Run("the NDJSON has a line per row", func(t *testing.T) {
		w := e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", "", "Accept", "application/x-ndjson")
		if w.Code != http.StatusOK || strings.Count(w.Body.String(), "\n") != int(job.Result.Rows) {
			t.Fatalf("status %d, %d lines; want 200 and %d", w.Code, strings.Count(w.Body.String(), "\n"), job.Result.Rows)
		}
	})
	t.Run("deleting the job removes its parts and output", func(t *testing.T) {
		if w := e.do(t, "DELETE", "/v1/jobs/"+job.ID, ""); w.Code != http.StatusNoContent {
			t.Fatalf("%d %s\nlog:\n%s", w.Code, w.Body, e.logs)
		}
		mustProblem(t, e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", ""), http.StatusNotFound)
		left, err := store.Parts(context.Background(), job.ID)
		if err != nil || len(left) != 0 {
			t.Fatalf("parts left: %v, %v", left, err)
		}
		bucket := store.Bucket(mongo.BucketOutputs)
		files, err := bucket.GetFilesCollection().CountDocuments(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := bucket.GetChunksCollection().CountDocuments(context.Background(), bson.D{})
		if err != nil || files != 0 || chunks != 0 {
			t.Fatalf("%d output files and %d chunks left, %v", files, chunks, err)
		}
		segments, err := bucket.GetFilesCollection().Database().ListCollectionNames(context.Background(),
			bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: `^outputs\.seg\.`}}}})
		if err != nil || len(segments) != 0 {
			t.Fatalf("output segments left: %v, %v", segments, err)
		}
	})
}
