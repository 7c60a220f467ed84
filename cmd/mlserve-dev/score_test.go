package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// TestDevProgramScoresDatasetsExactly scores datasets with models of every
// kind through the API, split into parts (the dev program runs with
// --jobs-score-part-rows 40), and checks the output row by row against the
// online predict of the same rows: same count, same order, same labels,
// numbers and probabilities, in CSV and in NDJSON.
func TestDevProgramScoresDatasetsExactly(t *testing.T) {
	dev := startDev(t, t.TempDir(), nil)
	iris := dev.uploadIris(t)
	votes := dev.uploadCSV(t, "votes", wordyVotes(t))

	cases := []struct {
		name, dataset string
		train         map[string]any
	}{
		{"a random forest on iris", iris, map[string]any{"algorithm": "random_forest", "target": "Species", "params": map[string]any{"trees": 50}}},
		{"knn on iris", iris, map[string]any{"algorithm": "knn", "target": "Species"}},
		{"logistic regression on iris", iris, map[string]any{"algorithm": "logistic_regression", "target": "Species"}},
		{"linear regression on iris", iris, map[string]any{"algorithm": "linear_regression", "target": "Petal width",
			"features": []string{"Sepal length", "Sepal width", "Petal length"}}},
		{"a decision tree on string votes", votes, map[string]any{"algorithm": "decision_tree", "target": "party"}},
		{"naive bayes on string votes", votes, map[string]any{"algorithm": "naive_bayes", "target": "party"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("m%d", i)
			req := map[string]any{"type": "train", "model": name, "dataset": c.dataset}
			for k, v := range c.train {
				req[k] = v
			}
			train := dev.waitEnded(t, dev.submit(t, req))
			if train.Status != model.StatusSucceeded {
				t.Fatalf("training ended %s: %+v", train.Status, train.Error)
			}
			score := dev.waitEnded(t, dev.submit(t, map[string]any{"type": "score", "model": name, "dataset": c.dataset, "include_input": true}))
			if score.Status != model.StatusSucceeded || score.Request.Version != train.Result.Version {
				t.Fatalf("score job ended %s with version %d: %+v", score.Status, score.Request.Version, score.Error)
			}
			if score.Progress.PartsTotal < 2 || score.Progress.PartsDone != score.Progress.PartsTotal {
				t.Errorf("progress %+v; want every one of several parts done", score.Progress)
			}
			header, rows := dev.outputCSV(t, score)
			if int64(len(rows)) != score.Result.Rows {
				t.Fatalf("output has %d rows, result says %d", len(rows), score.Result.Rows)
			}
			online := dev.predictRows(t, name, train.Result.Version, header, rows)
			checkAgainstOnline(t, header, rows, online)
			checkNDJSON(t, header, rows, dev.outputNDJSON(t, score.ID))
		})
	}
}

// wordyVotes is house-votes-84 with its votes as words (y, n, ?), so the
// models have string features.
func wordyVotes(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile("../../testdata/house-votes-84.csv")
	if err != nil {
		tb.Fatal(err)
	}
	words := strings.NewReplacer("-1", "n", "1", "y", "0", "?")
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i := 1; i < len(lines); i++ {
		cut := strings.LastIndexByte(lines[i], ',')
		lines[i] = words.Replace(lines[i][:cut]) + lines[i][cut:]
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

func (p *devProcess) uploadCSV(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	resp, err := http.Post(p.url+"/v1/datasets?name="+name, "text/csv", bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var ds model.Dataset
	if err := json.NewDecoder(resp.Body).Decode(&ds); err != nil || resp.StatusCode != http.StatusCreated {
		tb.Fatalf("upload %s: %d, %v", name, resp.StatusCode, err)
	}
	return ds.ID
}

// submit posts a job and returns its id.
func (p *devProcess) submit(tb testing.TB, req map[string]any) string {
	tb.Helper()
	status, _, body := p.do(tb, http.MethodPost, "/v1/jobs", req)
	var job model.Job
	if status != http.StatusAccepted || json.Unmarshal(body, &job) != nil {
		tb.Fatalf("submit %v: %d %s", req, status, body)
	}
	return job.ID
}

// outputCSV downloads a score job's CSV output and checks its size.
func (p *devProcess) outputCSV(tb testing.TB, job model.Job) (header []string, rows [][]string) {
	tb.Helper()
	status, h, body := p.do(tb, http.MethodGet, "/v1/jobs/"+job.ID+"/output", nil)
	if status != http.StatusOK || int64(len(body)) != job.Result.OutputBytes || h.Get("Content-Type") != "text/csv; charset=utf-8" {
		tb.Fatalf("output: %d, %d bytes (result says %d), %s", status, len(body), job.Result.OutputBytes, h.Get("Content-Type"))
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return records[0], records[1:]
}

func (p *devProcess) outputNDJSON(tb testing.TB, id string) []map[string]any {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+"/v1/jobs/"+id+"/output", nil)
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(lines.Bytes(), &obj); err != nil {
			tb.Fatalf("NDJSON line %d: %v", len(out)+1, err)
		}
		out = append(out, obj)
	}
	if resp.StatusCode != http.StatusOK || lines.Err() != nil {
		tb.Fatalf("NDJSON output: %d, %v", resp.StatusCode, lines.Err())
	}
	return out
}

// onlineAnswer is a native predict response.
type onlineAnswer struct {
	Version       int                  `json:"version"`
	Predictions   []any                `json:"predictions"`
	Probabilities []map[string]float64 `json:"probabilities"`
}

// predictRows asks the online API to predict every output row from its
// echoed input, sending the version's features with their types.
func (p *devProcess) predictRows(tb testing.TB, name string, version int, header []string, rows [][]string) onlineAnswer {
	tb.Helper()
	status, _, body := p.do(tb, http.MethodGet, fmt.Sprintf("/v1/models/%s/versions/%d", name, version), nil)
	var mv model.ModelVersion
	if status != http.StatusOK || json.Unmarshal(body, &mv) != nil {
		tb.Fatalf("version: %d %s", status, body)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	instances := make([]map[string]any, len(rows))
	for r, row := range rows {
		inst := map[string]any{}
		for _, f := range mv.Features {
			v := row[col[f.Name]]
			if f.Type == model.ColumnNumber {
				n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					tb.Fatal(err)
				}
				inst[f.Name] = n
			} else {
				inst[f.Name] = v
			}
		}
		instances[r] = inst
	}
	status, _, body = p.do(tb, http.MethodPost, fmt.Sprintf("/v1/models/%s/versions/%d/predict", name, version), map[string]any{"instances": instances})
	var ans onlineAnswer
	if status != http.StatusOK || json.Unmarshal(body, &ans) != nil || len(ans.Predictions) != len(rows) {
		tb.Fatalf("predict: %d %.300s", status, body)
	}
	return ans
}

// checkAgainstOnline compares every output row's prediction and
// probabilities with the online answer for the same row.
func checkAgainstOnline(tb testing.TB, header []string, rows [][]string, online onlineAnswer) {
	tb.Helper()
	pred := indexOf(header, model.ScorePredictionColumn)
	for r, row := range rows {
		switch want := online.Predictions[r].(type) {
		case string:
			if row[pred] != want {
				tb.Fatalf("row %d: batch says %q, online %q", r, row[pred], want)
			}
		case float64:
			if got, err := strconv.ParseFloat(row[pred], 64); err != nil || got != want {
				tb.Fatalf("row %d: batch says %s, online %v", r, row[pred], want)
			}
		}
		if online.Probabilities == nil {
			continue
		}
		for class, want := range online.Probabilities[r] {
			i := indexOf(header, model.ScoreProbabilityPrefix+class)
			if got, err := strconv.ParseFloat(row[i], 64); i < 0 || err != nil || got != want {
				tb.Fatalf("row %d: probability of %s is %q in the batch output, %v online", r, class, row[max(i, 0)], want)
			}
		}
	}
}

// checkNDJSON checks that the NDJSON output holds the CSV output's values.
func checkNDJSON(tb testing.TB, header []string, rows [][]string, objs []map[string]any) {
	tb.Helper()
	if len(objs) != len(rows) {
		tb.Fatalf("NDJSON has %d rows, CSV %d", len(objs), len(rows))
	}
	for r, obj := range objs {
		for i, h := range header {
			var got string
			switch v := obj[h].(type) {
			case string:
				got = v
			case float64:
				want, err := strconv.ParseFloat(strings.TrimSpace(rows[r][i]), 64)
				if err != nil || v != want {
					tb.Fatalf("row %d %s: NDJSON %v, CSV %q", r, h, v, rows[r][i])
				}
				continue
			default:
				tb.Fatalf("row %d %s: NDJSON has %T", r, h, v)
			}
			if got != rows[r][i] {
				tb.Fatalf("row %d %s: NDJSON %q, CSV %q", r, h, got, rows[r][i])
			}
		}
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}
