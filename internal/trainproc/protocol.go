package trainproc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"gitlab.com/mlserve/mlserve/model"
)

// File descriptors of the protocol pipes in the child (cmd.ExtraFiles
// start at 3).
const (
	specFD    = 3
	resultsFD = 4
)

// maxLine bounds one message line; a result's metrics hold at most a
// MaxClasses² confusion matrix, far under it.
const maxLine = 16 << 20

// message is one line on the results pipe; exactly one field is set.
type message struct {
	Progress *model.Progress `json:"progress,omitempty"`
	Result   *resultHeader   `json:"result,omitempty"`
	Error    *childError     `json:"error,omitempty"`
}

// resultHeader describes a result; the artifact's bytes follow its line.
type resultHeader struct {
	Classes            []string                  `json:"classes"`
	Metrics            model.Metrics             `json:"metrics"`
	FeatureImportances []model.FeatureImportance `json:"feature_importances,omitempty"`
	Iterations         int                       `json:"iterations,omitempty"`
	Preprocess         []model.FittedStep        `json:"preprocess,omitempty"`
	Trial              *model.TrialScore         `json:"trial,omitempty"`
	ArtifactBytes      int64                     `json:"artifact_bytes"`
	ArtifactSHA256     string                    `json:"artifact_sha256"`
}

// childError is the trainer's error. Code is empty for an error that was
// not a *model.Error: the parent keeps it internal, never shown to users.
type childError struct {
	Code    string            `json:"code,omitempty"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func newChildError(err error) *childError {
	var e *model.Error
	if errors.As(err, &e) {
		return &childError{Code: e.Code, Message: e.Message, Fields: e.Fields}
	}
	return &childError{Message: err.Error()}
}

func (c *childError) err() error {
	if c.Code == "" {
		return fmt.Errorf("training process: %s", c.Message)
	}
	return &model.Error{Code: c.Code, Message: c.Message, Fields: c.Fields}
}

// writeMessage writes m as one line, then artifact when m is a result.
func writeMessage(w *bufio.Writer, m message, artifact []byte) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	w.Write(b)
	w.WriteByte('\n')
	w.Write(artifact)
	return w.Flush() // a bufio.Writer keeps its first error
}

func resultMessage(res *model.TrainResult) message {
	sum := sha256.Sum256(res.Artifact)
	return message{Result: &resultHeader{
		Classes: res.Classes, Metrics: res.Metrics, FeatureImportances: res.FeatureImportances, Iterations: res.Iterations,
		Preprocess: res.Preprocess, Trial: res.Trial, ArtifactBytes: int64(len(res.Artifact)), ArtifactSHA256: hex.EncodeToString(sum[:]),
	}}
}

// outcome is what the parent read from the results pipe: a result, the
// trainer's error, or neither (the child died first, or broke the
// protocol: err; or the progress callback panicked: panicked).
type outcome struct {
	result   *model.TrainResult
	childErr error
	err      error
	panicked any
}

// readMessages reads the results pipe until the terminal message, calling
// progress for each progress line in order. maxArtifact bounds the
// artifact a header may announce. A read that ends early (the child died)
// is no error: the zero outcome says no result came.
func readMessages(r io.Reader, progress func(model.Progress), maxArtifact int64) outcome {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) {
			return outcome{} // the child died before its last message
		}
		if err != nil {
			return outcome{err: err}
		}
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			return outcome{err: fmt.Errorf("bad message %.100q: %w", line, err)}
		}
		switch {
		case m.Progress != nil:
			if progress != nil {
				progress(*m.Progress)
			}
		case m.Error != nil:
			return outcome{childErr: m.Error.err()}
		case m.Result != nil:
			return readResult(br, m.Result, maxArtifact)
		default:
			return outcome{err: fmt.Errorf("bad message %.100q: no progress, result or error", line)}
		}
	}
}

func readResult(r io.Reader, h *resultHeader, maxArtifact int64) outcome {
	if h.ArtifactBytes < 0 || h.ArtifactBytes > maxArtifact {
		return outcome{err: fmt.Errorf("result announces a %d-byte artifact (at most %d)", h.ArtifactBytes, maxArtifact)}
	}
	artifact := make([]byte, h.ArtifactBytes)
	if _, err := io.ReadFull(r, artifact); err != nil {
		return outcome{} // the child died while sending its artifact
	}
	if sum := sha256.Sum256(artifact); hex.EncodeToString(sum[:]) != h.ArtifactSHA256 {
		return outcome{err: errors.New("the artifact does not match its sha256")}
	}
	return outcome{result: &model.TrainResult{Artifact: artifact, Classes: h.Classes, Metrics: h.Metrics,
		FeatureImportances: h.FeatureImportances, Iterations: h.Iterations, Preprocess: h.Preprocess, Trial: h.Trial}}
}

// readLine reads one '\n'-terminated line of at most maxLine bytes,
// without its newline. A last line without newline is io.ErrUnexpectedEOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine {
			return nil, fmt.Errorf("message line over %d bytes", maxLine)
		}
		switch {
		case err == nil && line == nil:
			return bytes.Clone(chunk[:len(chunk)-1]), nil
		case err == nil:
			return append(line, chunk[:len(chunk)-1]...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			line = append(line, chunk...)
		case err == io.EOF && len(line)+len(chunk) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}
