package trainproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// TestMain makes the test binary its own training child: Runner starts
// os.Executable(), which under go test is this binary.
func TestMain(m *testing.M) {
	if IsChild() {
		os.Exit(ServeChild(fakeTrainer{}))
	}
	os.Exit(m.Run())
}

// fakeTrainer misbehaves as spec.Algorithm says, the way a training
// library might.
type fakeTrainer struct{}

func (fakeTrainer) Train(ctx context.Context, spec model.TrainSpec, data io.Reader, progress func(model.Progress)) (*model.TrainResult, error) {
	switch spec.Algorithm {
	case "echo": // the data back as the artifact
		return echo(spec, data)
	case "progress":
		for i := int64(1); i <= 4; i++ {
			progress(model.Progress{Done: i, Total: 4})
		}
		return echo(spec, data)
	case "print": // what golearn's KNN and liblinear do, and worse
		fmt.Println(`junk on stdout {"result":{"artifact_bytes":3}}`)
		fmt.Fprintln(os.Stderr, "junk on stderr")
		fmt.Print("a last line without newline")
		return echo(spec, data)
	case "panic":
		panic("boom in fit")
	case "gopanic": // a panic ServeChild cannot recover
		go func() { panic("boom in a goroutine") }()
		time.Sleep(time.Hour)
	case "exit":
		fmt.Fprintln(os.Stderr, "liblinear: giving up")
		os.Exit(3)
	case "invalid":
		return nil, &model.Error{Code: model.CodeInvalid, Message: "class b has one row", Fields: map[string]string{"target": "too few rows"}}
	case "plain":
		return nil, errors.New("disk on fire")
	case "hog":
		return nil, hog()
	case "sleep": // report the pids of this process and of one it started, then hang
		grandchild := exec.Command("sleep", "3600")
		if err := grandchild.Start(); err != nil {
			return nil, err
		}
		progress(model.Progress{Done: int64(os.Getpid()), Total: int64(grandchild.Process.Pid)})
		time.Sleep(time.Hour)
	case "godebug": // the environment the child got
		return &model.TrainResult{
			Artifact: []byte(os.Getenv("GODEBUG")),
			Classes:  []string{os.Getenv("GOMEMLIMIT"), os.Getenv(childEnv)},
		}, nil
	}
	return nil, fmt.Errorf("fake trainer: unknown algorithm %q", spec.Algorithm)
}

func echo(spec model.TrainSpec, data io.Reader) (*model.TrainResult, error) {
	b, err := io.ReadAll(data)
	if err != nil {
		return nil, err
	}
	return &model.TrainResult{Artifact: b, Classes: []string{spec.Target, strconv.Itoa(len(b))}, Metrics: echoMetrics(spec)}, nil
}

// echoMetrics are metrics made of the spec, so a test sees the spec
// arrive and the metrics come back.
func echoMetrics(spec model.TrainSpec) model.Metrics {
	return model.Metrics{
		Method: model.MethodHoldout, Holdout: spec.Validation.Holdout, Seed: spec.Validation.Seed,
		TrainRows: len(spec.Features), TestRows: 2,
		Classification: &model.ClassificationMetrics{
			Accuracy: 0.5, MacroPrecision: 0.25, MacroRecall: 0.5, MacroF1: 1.0 / 3,
			PerClass:  []model.ClassMetrics{{Class: spec.Target, Precision: 0.5, Recall: 1, F1: 2.0 / 3, Support: 1}},
			Confusion: model.ConfusionMatrix{Labels: []string{"a", "b"}, Counts: [][]int{{1, 0}, {1, 0}}},
		},
	}
}

// hog holds ever more touched memory until killed, giving up at 2 GiB.
func hog() error {
	var held [][]byte
	for len(held) < 256 {
		b := make([]byte, 8<<20)
		for i := 0; i < len(b); i += 4096 { // touch every page: RSS counts only those
			b[i] = 1
		}
		held = append(held, b)
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("hog: still alive holding %d MiB", len(held)*8)
}
