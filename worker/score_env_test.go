package worker

import (
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/model"
)

// signPredictor is a model a test can check by hand: class "pos" when
// x1+x2 > 0, else "neg", with probabilities 0.75 for the predicted class.
// Each Predict call waits delay first, so a test can catch a job mid-way.
type signPredictor struct {
	delay time.Duration
}

func (p *signPredictor) Predict(in *model.Batch, out *model.Output) {
	time.Sleep(p.delay)
	for r := range in.Rows {
		c := int32(0)
		if in.Nums[2*r]+in.Nums[2*r+1] > 0 {
			c = 1
		}
		out.Classes[r] = c
		if out.Probs != nil {
			out.Probs[2*r+int(c)], out.Probs[2*r+1-int(c)] = 0.75, 0.25
		}
	}
}

func (p *signPredictor) Features() []model.Column {
	return []model.Column{{Name: "x1", Type: model.ColumnNumber}, {Name: "x2", Type: model.ColumnNumber}}
}
func (p *signPredictor) Classes() []string      { return []string{"neg", "pos"} }
func (p *signPredictor) Task() string           { return model.TaskClassification }
func (p *signPredictor) HasProbabilities() bool { return true }
func (p *signPredictor) Missing(int) bool       { return false }
func (p *signPredictor) SizeBytes() int64       { return 64 }

// expected is signPredictor's output line for row i of signDataset, with
// the input echoed.
func expected(i int) string {
	x1, x2 := signValues(i)
	label := "neg"
	pNeg, pPos := "0.75", "0.25"
	if x1+x2 > 0 {
		label, pNeg, pPos = "pos", "0.25", "0.75"
	}
	return fmt.Sprintf("%d,%s,%s,%s,%s,%s", i, strconv.FormatFloat(x1, 'g', -1, 64), strconv.FormatFloat(x2, 'g', -1, 64), label, pNeg, pPos)
}

func signValues(i int) (x1, x2 float64) {
	return float64(i%7 - 3), float64(i%5) - 2.5
}

// staticModels serves one version with one predictor.
type staticModels struct {
	version *model.ModelVersion
	pred    model.Predictor
}

func (m *staticModels) Resolve(_ context.Context, name string, version int, _ string) (*model.ModelVersion, model.Predictor, error) {
	if name != m.version.Name || version != m.version.Version {
		return nil, nil, model.Errorf(model.CodeNotFound, "model %s has no version %d", name, version)
	}
	return m.version, m.pred, nil
}

// scoreEnv is an env with a dataset of n rows, the sign model and a way to
// make score handlers.
type scoreEnv struct {
	*env
	dataset *model.Dataset
	models  *staticModels
	// handlers made by handler, for checking that every one has stopped.
	mu       sync.Mutex
	handlers []*ScoreHandler
}

func newScoreEnv(tb testing.TB, rows int) *scoreEnv {
	tb.Helper()
	e := &scoreEnv{env: newEnv(tb)}
	var b strings.Builder
	b.WriteString("id,x1,x2\n")
	for i := range rows {
		x1, x2 := signValues(i)
		fmt.Fprintf(&b, "%d,%g,%g\n", i, x1, x2)
	}
	e.dataset = createDataset(tb, e.jobs, "signs", strings.NewReader(b.String()))
	e.models = &staticModels{version: &model.ModelVersion{Name: "signs", Version: 1, Task: model.TaskClassification}, pred: &signPredictor{}}
	return e
}

// handler returns a score handler with parts of partRows rows.
func (e *scoreEnv) handler(partRows int) *ScoreHandler {
	h := NewScoreHandler(ScoreDeps{
		Jobs: e.jobs, Datasets: e.jobs, Scores: e.jobs, Models: e.models, Parts: e.queue(),
		PartRows: partRows, Lease: 2 * time.Second, Poll: 20 * time.Millisecond, Logger: e.logger,
	})
	e.mu.Lock()
	e.handlers = append(e.handlers, h)
	e.mu.Unlock()
	return h
}

// submitScore creates and enqueues a score job of the sign model over the
// dataset, echoing the input.
func (e *scoreEnv) submitScore() *model.Job {
	e.tb.Helper()
	ctx := context.Background()
	req := model.JobRequest{Type: model.JobScore, Model: "signs", Version: 1, Dataset: e.dataset.ID, IncludeInput: true}
	job, _, err := e.jobs.CreateJob(ctx, &model.Job{Type: model.JobScore, Request: req}, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	if err := e.queue().Enqueue(ctx, job); err != nil {
		e.tb.Fatal(err)
	}
	return job
}

// output reads the job's output as the API serves it (without the header)
// and returns its lines.
func (e *scoreEnv) output(job *model.Job) []string {
	e.tb.Helper()
	ctx := context.Background()
	parts, err := e.jobs.Parts(ctx, job.ID)
	if err != nil {
		e.tb.Fatal(err)
	}
	var lines []string
	for _, p := range parts {
		if p.Status != model.PartDone {
			e.tb.Fatalf("part %d is %s", p.Index, p.Status)
		}
		r, err := e.jobs.OpenPartOutput(ctx, p)
		if err != nil {
			e.tb.Fatal(err)
		}
		records, err := csv.NewReader(r).ReadAll()
		r.Close()
		if err != nil {
			e.tb.Fatal(err)
		}
		for _, rec := range records {
			lines = append(lines, strings.Join(rec, ","))
		}
	}
	return lines
}

// checkOutput checks that the job's output has every row once, in order,
// each scored right.
func (e *scoreEnv) checkOutput(job *model.Job) {
	e.tb.Helper()
	lines := e.output(job)
	if len(lines) != int(e.dataset.Rows) {
		e.tb.Fatalf("output has %d rows, the dataset %d", len(lines), e.dataset.Rows)
	}
	for i, line := range lines {
		if want := expected(i); line != want {
			e.tb.Fatalf("output row %d = %q, want %q", i, line, want)
		}
	}
}

// outputFiles counts the output files, GridFS chunks and segments of the
// job in the store.
func (e *scoreEnv) outputFiles(jobID string) int64 {
	e.tb.Helper()
	ctx := context.Background()
	bucket := e.jobs.Bucket(mongo.BucketOutputs)
	prefix := bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(jobID+".")}}
	files, err := bucket.GetFilesCollection().CountDocuments(ctx, bson.D{{Key: "_id", Value: prefix}})
	if err != nil {
		e.tb.Fatal(err)
	}
	chunks, err := bucket.GetChunksCollection().CountDocuments(ctx, bson.D{{Key: "files_id", Value: prefix}})
	if err != nil {
		e.tb.Fatal(err)
	}
	segments, err := bucket.GetFilesCollection().Database().ListCollectionNames(ctx,
		bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(mongo.BucketOutputs+".seg."+jobID+".")}}}})
	if err != nil {
		e.tb.Fatal(err)
	}
	return files + chunks + int64(len(segments))
}
