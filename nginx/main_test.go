package nginx

import (
	"os"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learners"
	"gitlab.com/mlserve/mlserve/internal/trainproc"
)

// TestMain lets the test binary serve as the training child process, as
// main does for the real binary: the tests train a model through the proxy.
func TestMain(m *testing.M) {
	if trainproc.IsChild() {
		os.Exit(trainproc.ServeChild(learners.NewTrainer()))
	}
	os.Exit(m.Run())
}
