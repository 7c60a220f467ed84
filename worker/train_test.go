package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// echoTrainer stands in for golearn: its artifact is a hash of the spec's
// algorithm and the data, so a test can tell what it was trained on.
type echoTrainer struct{ calls atomic.Int32 }

func (e *echoTrainer) Train(ctx context.Context, spec model.TrainSpec, data io.Reader, progress func(model.Progress)) (*model.TrainResult, error) {
	e.calls.Add(1)
	h := sha256.New()
	h.Write([]byte(spec.Algorithm))
	if _, err := io.Copy(h, data); err != nil {
		return nil, err
	}
	progress(model.Progress{Done: 1, Total: 1})
	return &model.TrainResult{
		Artifact: []byte(hex.EncodeToString(h.Sum(nil))),
		Classes:  []string{"setosa", "versicolor", "virginica"},
		Metrics:  model.Metrics{Method: model.MethodHoldout, Holdout: spec.Validation.Holdout, Seed: spec.Validation.Seed},
	}, nil
}

// nopReporter records the last progress.
type nopReporter struct{ last model.Progress }

func (r *nopReporter) Report(_ context.Context, p model.Progress) error { r.last = p; return nil }

// recordingEvents records each model announced as changed with what its
// staging alias resolved to at that moment; with err set, announcing fails.
type recordingEvents struct {
	store *mongo.Store
	err   error

	mu        sync.Mutex
	announced []string
}

func (r *recordingEvents) ModelChanged(ctx context.Context, name string) error {
	staging := "none"
	if v, err := r.store.ResolveVersion(ctx, name, 0, "staging"); err == nil {
		staging = strconv.Itoa(v.Version)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.announced = append(r.announced, name+" staging="+staging)
	return r.err
}

func (r *recordingEvents) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.announced)
}

type trainEnv struct {
	store   *mongo.Store
	trainer *echoTrainer
	events  *recordingEvents
	handler Handler
	dataset *model.Dataset
}

func newTrainEnv(tb testing.TB) *trainEnv {
	tb.Helper()
	ctx := context.Background()
	store, err := mongo.Open(ctx, testenv.Mongo(tb), testLogger(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close(context.Background()) })
	f, err := os.Open("../testdata/iris.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ds := createDataset(tb, store, "iris", f)
	e := &trainEnv{store: store, trainer: &echoTrainer{}, events: &recordingEvents{store: store}, dataset: ds}
	e.handler = NewTrainHandler(TrainDeps{Datasets: store, Versions: store, Artifacts: store, Trainer: e.trainer,
		Logger: testLogger(tb), Events: e.events})
	return e
}

// createDataset stores the CSV r reads as a dataset, as an upload does.
func createDataset(tb testing.TB, store *mongo.Store, name string, r io.Reader) *model.Dataset {
	tb.Helper()
	ds, err := store.CreateDataset(context.Background(), name, r, func(r io.Reader) (*model.Dataset, error) {
		sum, err := csvdata.Inspect(r, csvdata.Limits{})
		if err != nil {
			return nil, err
		}
		return &model.Dataset{Rows: sum.Rows, Columns: sum.Columns, SizeBytes: sum.SizeBytes, SHA256: sum.SHA256}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

// dropDataset removes the iris dataset's document behind the store's
// back, which DeleteDataset refuses while a job uses it.
func (e *trainEnv) dropDataset(tb testing.TB) {
	tb.Helper()
	db := e.store.Bucket(mongo.BucketDatasets).GetFilesCollection().Database()
	if _, err := db.Collection("datasets").DeleteOne(context.Background(), bson.D{{Key: "_id", Value: e.dataset.ID}}); err != nil {
		tb.Fatal(err)
	}
}

// job creates a train job of the named model on the iris dataset.
func (e *trainEnv) job(tb testing.TB, name, alias string) *model.Job {
	tb.Helper()
	req := model.JobRequest{Type: model.JobTrain, Model: name, Dataset: e.dataset.ID, Target: "Species", Algorithm: "random_forest", SetAlias: alias}
	job, _, err := e.store.CreateJob(context.Background(), &model.Job{Type: model.JobTrain, Request: req}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return job
}

func TestTrainHandler(t *testing.T) {
	ctx := context.Background()

	t.Run("a train job registers the next version with its artifact and moves its alias", func(t *testing.T) {
		e := newTrainEnv(t)
		var rep nopReporter
		res, err := e.handler.Run(ctx, e.job(t, "iris", "staging"), &rep)
		if err != nil {
			t.Fatal(err)
		}
		if res.Model != "iris" || res.Version != 1 || res.Metrics == nil || res.Metrics.Method != model.MethodHoldout {
			t.Fatalf("result = %+v", res)
		}
		v, err := e.store.ResolveVersion(ctx, "iris", 0, "staging")
		if err != nil || v.Version != 1 {
			t.Fatalf("alias staging resolves to %+v, %v; want version 1", v, err)
		}
		if v.Dataset.SHA256 != e.dataset.SHA256 || v.Dataset.Rows != 150 || len(v.Features) != 4 || v.Params["trees"] == nil {
			t.Errorf("version records dataset %+v, features %+v, params %v", v.Dataset, v.Features, v.Params)
		}
		art, err := e.store.LoadArtifact(ctx, v)
		if err != nil || len(art) == 0 {
			t.Fatalf("load artifact: %v", err)
		}
		if rep.last.Total == 0 {
			t.Errorf("no progress reported")
		}
	})

	t.Run("a job run again after it registered its version trains nothing new", func(t *testing.T) {
		e := newTrainEnv(t)
		job := e.job(t, "iris", "")
		first, err := e.handler.Run(ctx, job, &nopReporter{})
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.handler.Run(ctx, job, &nopReporter{})
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.store.ListVersions(ctx, "iris", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if again.Version != first.Version || len(page.Versions) != 1 || e.trainer.calls.Load() != 1 {
			t.Errorf("versions %d then %d, %d stored, %d trainings; want one of each", first.Version, again.Version, len(page.Versions), e.trainer.calls.Load())
		}
	})

	t.Run("an artifact left by an attempt that died before registering is replaced", func(t *testing.T) {
		e := newTrainEnv(t)
		job := e.job(t, "iris", "")
		if _, err := e.store.PutArtifact(ctx, job.ID, []byte("half of an interrupted attempt")); err != nil {
			t.Fatal(err)
		}
		res, err := e.handler.Run(ctx, job, &nopReporter{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.store.ResolveVersion(ctx, "iris", res.Version, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.LoadArtifact(ctx, v); err != nil {
			t.Errorf("the registered version's artifact does not load: %v", err)
		}
	})

	t.Run("jobs of one model get consecutive versions", func(t *testing.T) {
		e := newTrainEnv(t)
		for want := 1; want <= 3; want++ {
			res, err := e.handler.Run(ctx, e.job(t, "iris", "production"), &nopReporter{})
			if err != nil || res.Version != want {
				t.Fatalf("job %d: version %d, %v", want, res.Version, err)
			}
		}
		if v, err := e.store.ResolveVersion(ctx, "iris", 0, ""); err != nil || v.Version != 3 {
			t.Errorf("production resolves to %+v, %v; want version 3", v, err)
		}
	})

	t.Run("a train job announces its model once its version and alias exist", func(t *testing.T) {
		e := newTrainEnv(t)
		if _, err := e.handler.Run(ctx, e.job(t, "iris", "staging"), &nopReporter{}); err != nil {
			t.Fatal(err)
		}
		if got, want := e.events.list(), []string{"iris staging=1"}; !slices.Equal(got, want) {
			t.Fatalf("announced %v, want %v", got, want)
		}
	})

	t.Run("a job run again announces its model again", func(t *testing.T) {
		// The attempt that registered the version may have died before
		// announcing it.
		e := newTrainEnv(t)
		job := e.job(t, "iris", "")
		for range 2 {
			if _, err := e.handler.Run(ctx, job, &nopReporter{}); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := e.events.list(), []string{"iris staging=none", "iris staging=none"}; !slices.Equal(got, want) {
			t.Fatalf("announced %v, want %v", got, want)
		}
	})

	t.Run("a failed announcement does not fail the job", func(t *testing.T) {
		e := newTrainEnv(t)
		e.events.err = errors.New("redis: connection refused")
		if _, err := e.handler.Run(ctx, e.job(t, "iris", "staging"), &nopReporter{}); err != nil {
			t.Fatalf("the job failed: %v", err)
		}
	})

	t.Run("a job that fails before registering a version announces nothing", func(t *testing.T) {
		e := newTrainEnv(t)
		job := e.job(t, "iris", "")
		e.dropDataset(t)
		if _, err := e.handler.Run(ctx, job, &nopReporter{}); err == nil {
			t.Fatal("the job succeeded without its dataset")
		}
		if got := e.events.list(); len(got) != 0 {
			t.Fatalf("announced %v", got)
		}
	})

	t.Run("a dataset deleted before the job ran fails it without a retry", func(t *testing.T) {
		e := newTrainEnv(t)
		// The store keeps a dataset with a live job; the worker must still
		// cope with one that is gone.
		job := e.job(t, "iris", "")
		e.dropDataset(t)
		_, err := e.handler.Run(ctx, job, &nopReporter{})
		if model.ErrorCode(err) != model.CodeNotFound || retryable(err) {
			t.Errorf("err = %v (code %s); want a non-retryable not_found", err, model.ErrorCode(err))
		}
	})
}
