package trainproc

import (
	"bufio"
	"bytes"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func encode(tb testing.TB, msgs ...message) *bytes.Buffer {
	tb.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, m := range msgs {
		if err := writeMessage(w, m, nil); err != nil {
			tb.Fatal(err)
		}
	}
	return &buf
}

func TestReadMessagesRoundTripsAResult(t *testing.T) {
	res := &model.TrainResult{Artifact: []byte("model\nbytes\n"), Classes: []string{"a", "b"}, Metrics: echoMetrics(spec("echo")),
		FeatureImportances: []model.FeatureImportance{{Feature: "x", Importance: 0.75}, {Feature: "y", Importance: 0.25}}, Iterations: 17}
	buf := encode(t, message{Progress: &model.Progress{Done: 1, Total: 2}})
	w := bufio.NewWriter(buf)
	if err := writeMessage(w, resultMessage(res), res.Artifact); err != nil {
		t.Fatal(err)
	}
	var progress []model.Progress
	out := readMessages(buf, func(p model.Progress) { progress = append(progress, p) }, 1<<20)
	if out.err != nil || out.childErr != nil || !reflect.DeepEqual(out.result, res) {
		t.Fatalf("outcome = %+v, want result %+v", out, res)
	}
	if len(progress) != 1 {
		t.Errorf("progress = %v, want one report", progress)
	}
}

func TestReadMessagesRejects(t *testing.T) {
	header := resultMessage(&model.TrainResult{Artifact: []byte("abc")})
	tests := []struct {
		name  string
		input string
		want  string // in the error; "" for no outcome at all
	}{
		{"a line that is not JSON", "iteration 1\n", "bad message"},
		{"a message with nothing in it", "{}\n", "no progress, result or error"},
		{"an artifact over the limit", `{"result":{"artifact_bytes":2000}}` + "\n", "2000-byte artifact"},
		{"an artifact that does not match its sha256", encode(t, header).String() + "abd", "does not match its sha256"},
		{"a line over the limit", strings.Repeat("x", maxLine+1), "over"},
		{"a truncated artifact as no outcome", encode(t, header).String() + "ab", ""},
		{"a truncated line as no outcome", `{"progress":{"done":1`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := readMessages(strings.NewReader(tt.input), nil, 1000)
			if out.result != nil || out.childErr != nil {
				t.Fatalf("outcome = %+v, want none", out)
			}
			switch {
			case tt.want == "" && out.err != nil:
				t.Errorf("error = %v, want none", out.err)
			case tt.want != "" && (out.err == nil || !strings.Contains(out.err.Error(), tt.want)):
				t.Errorf("error = %v, want one containing %q", out.err, tt.want)
			}
		})
	}
}
