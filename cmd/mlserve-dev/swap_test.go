package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// trainForest trains a 10-tree forest of model iris with the given seed and
// returns its job id and version.
func (p *devProcess) trainForest(tb testing.TB, dataset string, seed int) (string, int) {
	tb.Helper()
	req := map[string]any{"type": "train", "model": "iris", "dataset": dataset, "target": "Species",
		"algorithm": "random_forest", "params": map[string]any{"trees": 10}, "validation": map[string]any{"seed": seed}}
	status, _, body := p.do(tb, http.MethodPost, "/v1/jobs", req)
	var j model.Job
	if status != http.StatusAccepted || json.Unmarshal(body, &j) != nil {
		tb.Fatalf("submit: %d %s", status, body)
	}
	j = p.waitEnded(tb, j.ID)
	if j.Status != model.StatusSucceeded {
		tb.Fatalf("training ended %s: %+v", j.Status, j.Error)
	}
	return j.ID, j.Result.Version
}

// corruptArtifact overwrites the first chunk of a job's artifact in the dev
// program's embedded MongoDB, as a disk fault would.
func (p *devProcess) corruptArtifact(tb testing.TB, jobID string) {
	tb.Helper()
	m := regexp.MustCompile(`at (mongodb://\S+)`).FindStringSubmatch(p.banner)
	if m == nil {
		tb.Fatalf("no mongo URI in %q", p.banner)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(m[1]))
	if err != nil {
		tb.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	res, err := client.Database("mlserve").Collection("artifacts.chunks").UpdateOne(context.Background(),
		bson.D{{Key: "files_id", Value: jobID}, {Key: "n", Value: 0}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: bson.Binary{Data: []byte("not a model")}}}}})
	if err != nil || res.ModifiedCount != 1 {
		tb.Fatalf("corrupt the artifact of job %s: %+v, %v", jobID, res, err)
	}
}

// TestSwapsUnderLoadFailNoRequest promotes, rolls back and tries a corrupt
// version while clients predict without pause: every request succeeds and
// names, in its body and its header, the version that answered it.
func TestSwapsUnderLoadFailNoRequest(t *testing.T) {
	dev := startDev(t, t.TempDir(), nil)
	dataset := dev.uploadIris(t)
	_, v1 := dev.trainForest(t, dataset, 1)
	_, v2 := dev.trainForest(t, dataset, 2)
	bad, v3 := dev.trainForest(t, dataset, 3)
	dev.corruptArtifact(t, bad)
	promote := func(v int) {
		t.Helper()
		if status, _, body := dev.do(t, http.MethodPut, "/v1/models/iris/aliases/production", map[string]int{"version": v}); status != http.StatusOK {
			t.Fatalf("promote %d: %d %s", v, status, body)
		}
	}
	promote(v1)

	var (
		served   [4]atomic.Int64 // answers per version
		failures atomic.Int64
		firstErr atomic.Value
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	body := []byte(`{"instances":[{"Sepal length":5.1,"Sepal width":3.5,"Petal length":1.4,"Petal width":0.2}]}`)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := predictOnce(dev.url+"/v1/models/iris/predict", body)
				if err != nil || v < 1 || v > 3 {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("version %d: %v", v, err))
					continue
				}
				served[v].Add(1)
			}
		})
	}
	waitServed := func(v int) {
		t.Helper()
		from := served[v].Load()
		testenv.WaitFor(t, 30*time.Second, fmt.Sprintf("version %d to answer", v), func() bool { return served[v].Load() > from+10 })
	}

	waitServed(v1)
	promote(v2)
	waitServed(v2)
	promote(v1) // roll back
	waitServed(v1)
	promote(v3) // its artifact is corrupt: refused, v1 keeps serving
	afterBad := served[v1].Load()
	testenv.WaitFor(t, 30*time.Second, "version 1 to keep answering after the corrupt promotion", func() bool {
		return served[v1].Load() > afterBad+200
	})
	close(stop)
	wg.Wait()

	if n := failures.Load(); n > 0 {
		t.Errorf("%d requests failed during the swaps; first: %v", n, firstErr.Load())
	}
	if _, err := predictOnce(fmt.Sprintf("%s/v1/models/iris/versions/%d/predict", dev.url, v3), body); err == nil {
		t.Errorf("version %d answered although its artifact is corrupt", v3)
	}
	if served[v3].Load() != 0 {
		t.Errorf("the corrupt version %d answered %d requests", v3, served[v3].Load())
	}
	t.Logf("answers: v1 %d, v2 %d, v3 %d", served[v1].Load(), served[v2].Load(), served[v3].Load())
}

// predictOnce posts one native predict and returns the version that
// answered, checking that the body and the header agree on it.
func predictOnce(url string, body []byte) (int, error) {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Version     int      `json:"version"`
		Predictions []string `json:"predictions"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Predictions) != 1 {
		return 0, fmt.Errorf("answer %s: %v", b, err)
	}
	if h, _ := strconv.Atoi(resp.Header.Get("Mlserve-Model-Version")); h != out.Version {
		return 0, fmt.Errorf("header names version %d, body %d", h, out.Version)
	}
	return out.Version, nil
}
