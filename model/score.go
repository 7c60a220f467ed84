package model

import (
	"context"
	"fmt"
	"io"
	"time"
)

// PartStatus is where one part of a score job is.
type PartStatus string

// The part statuses. A pending part may be claimed by a scorer; done and
// failed are final.
const (
	PartPending PartStatus = "pending"
	PartDone    PartStatus = "done"
	PartFailed  PartStatus = "failed"
)

// ScorePart is one contiguous range of a score job's dataset rows, scored as
// a unit by whichever worker claims it first. Its id is derived from the
// job id and its index, so planning a job twice, or scoring a part twice,
// writes the same documents instead of adding new ones.
type ScorePart struct {
	ID    string `json:"id" bson:"_id"` // PartID(JobID, Index)
	JobID string `json:"job_id" bson:"job_id"`
	Index int    `json:"index" bson:"index"`
	// Offset and Length locate the part's records in the raw bytes of the
	// dataset CSV (after the header); Rows counts them and FirstRow is the
	// 0-based number of the part's first data row.
	Offset   int64 `json:"offset" bson:"offset"`
	Length   int64 `json:"length" bson:"length"`
	FirstRow int64 `json:"first_row" bson:"first_row"`
	Rows     int64 `json:"rows" bson:"rows"`

	Status PartStatus `json:"status" bson:"status"`
	// Owner is the scorer that holds (or last held) the part's claim, and
	// LeaseUntil is when a pending part's claim lapses, letting another
	// scorer take it over.
	Owner      string    `json:"owner,omitempty" bson:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until" bson:"lease_until"`

	// Output names the file holding a done part's scored rows (CSV, no
	// header), OutputBytes its size.
	Output      string     `json:"output,omitempty" bson:"output,omitempty"`
	OutputBytes int64      `json:"output_bytes,omitempty" bson:"output_bytes,omitempty"`
	Error       *JobError  `json:"error,omitempty" bson:"error,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty" bson:"finished_at,omitempty"`

	// Files lists the output files scorings of the part started, so the
	// ones no done part refers to can be removed without searching.
	Files []string `json:"-" bson:"files,omitempty"`
}

// PartID is the id of part index of job jobID. It sorts by index.
func PartID(jobID string, index int) string { return fmt.Sprintf("%s.%06d", jobID, index) }

// PartOutput is an output file being written for one scoring of a part.
// Each scoring writes a file of its own (ID is unique), so two scorings of
// the same part never mix their bytes; the file becomes readable at Close.
type PartOutput interface {
	io.Writer
	// ID names the file; CompletePart records it.
	ID() string
	// Size is the number of bytes written so far.
	Size() int64
	// Close finishes the file. After a failed Close, Abort.
	Close() error
	// Abort removes whatever the file wrote. It is safe after Close and
	// after a failure, and runs even when the writer's context is done.
	Abort()
}

// ScoreStore keeps the parts of score jobs and their output files. Every
// change is a single-document conditional update or an insert guarded by
// the part's deterministic id, so it needs no transactions.
type ScoreStore interface {
	// CreateParts inserts the parts of a job's plan. A part whose id exists
	// already is left as it is.
	CreateParts(ctx context.Context, parts []*ScorePart) error
	// Parts returns every part of the job, by index (none: an empty slice).
	Parts(ctx context.Context, jobID string) ([]*ScorePart, error)
	// DeleteParts removes every part of the job and every output file of
	// the job, referenced or not.
	DeleteParts(ctx context.Context, jobID string) error

	// ClaimPart gives owner the claim on a pending part until until, when
	// the part is unclaimed, its claim lapsed before now, or owner holds it
	// already (which renews it). It returns the part as stored. When the
	// part is done, failed or claimed by another scorer it returns the part
	// as stored and CodeConflict; CodeNotFound when it does not exist.
	ClaimPart(ctx context.Context, id, owner string, now, until time.Time) (*ScorePart, error)
	// ReleasePart ends owner's claim on a pending part, so another scorer
	// can take it at once. A part owner does not hold is left alone.
	ReleasePart(ctx context.Context, id, owner string) error
	// CompletePart records a pending part as done with its output file and
	// size. CodeConflict when the part is done or failed already: the
	// caller then aborts its file, which nothing refers to.
	CompletePart(ctx context.Context, id, owner, output string, outputBytes int64, now time.Time) error
	// FailPart records a pending part as failed with jobErr. CodeConflict
	// when the part is done or failed already.
	FailPart(ctx context.Context, id string, jobErr *JobError, now time.Time) error

	// CreatePartOutput starts a new output file for a scoring of part.
	CreatePartOutput(ctx context.Context, part *ScorePart) (PartOutput, error)
	// OpenPartOutput reads a done part's output file; CodeNotFound when it
	// is missing.
	OpenPartOutput(ctx context.Context, part *ScorePart) (io.ReadCloser, error)
	// RemoveOrphanOutputs removes the output files that scorings of the
	// job's parts started and that no done part refers to: what interrupted
	// or duplicate scorings left.
	RemoveOrphanOutputs(ctx context.Context, jobID string) error
}

// Output column names of a score job, after the echoed input columns.
const (
	ScorePredictionColumn  = "prediction"
	ScoreProbabilityPrefix = "probability_"
)

// ScoreOutputColumns lists the columns of a score job's output: the
// dataset's columns when includeInput, then the prediction (a class label
// for classification, a number for regression), then one probability
// column per class when the predictor has probabilities. CodeInvalid naming
// the field include_input when an echoed column has an output column's name.
func ScoreOutputColumns(dataset []Column, task string, classes []string, hasProbabilities, includeInput bool) ([]Column, error) {
	var cols []Column
	if includeInput {
		for _, c := range dataset {
			cols = append(cols, Column{Name: c.Name, Type: c.Type})
		}
	}
	prediction := Column{Name: ScorePredictionColumn, Type: ColumnNumber}
	if task == TaskClassification {
		prediction.Type = ColumnString
	}
	cols = append(cols, prediction)
	if hasProbabilities {
		for _, c := range classes {
			cols = append(cols, Column{Name: ScoreProbabilityPrefix + c, Type: ColumnNumber})
		}
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if seen[c.Name] {
			return nil, Invalid(map[string]string{"include_input": fmt.Sprintf("the dataset has a column %q, which is also an output column", c.Name)})
		}
		seen[c.Name] = true
	}
	return cols, nil
}
