package model

import (
	"context"
	"io"
	"time"
)

// Column types inferred from a dataset's values. ColumnEmpty is a dataset
// column with no value in any row (datasets inspected before it existed
// call such a column ColumnString); it is never a model's feature.
const (
	ColumnNumber = "number"
	ColumnString = "string"
	ColumnEmpty  = "empty"
)

// Column is one column of a dataset or one feature of a model.
type Column struct {
	Name string `json:"name" bson:"name"`
	// Type is ColumnNumber when every non-empty value parses as a float,
	// ColumnEmpty when there is none, else ColumnString.
	Type string `json:"type" bson:"type"`
	// Distinct counts the column's distinct non-empty values up to
	// DistinctCap; DistinctCap means "at least that many". Datasets only.
	Distinct int `json:"distinct,omitempty" bson:"distinct,omitempty"`
	// Empty counts the column's empty cells. Datasets only.
	Empty int64 `json:"empty,omitempty" bson:"empty,omitempty"`
	// Fractional marks a number column with a value that is not a whole
	// number. Datasets only; those inspected before it was recorded have
	// it false.
	Fractional bool `json:"fractional,omitempty" bson:"fractional,omitempty"`
}

// MaxClasses is the most distinct target values a classifier accepts.
const MaxClasses = 100

// DistinctCap is where counting a column's distinct values stops: enough to
// tell whether the column can be a classification target.
const DistinctCap = MaxClasses + 1

// Dataset is an uploaded CSV: its header, inferred column types and the
// sha256 of the raw bytes kept in the store.
type Dataset struct {
	ID        string    `json:"id" bson:"_id"`
	Name      string    `json:"name" bson:"name"`
	Rows      int64     `json:"rows" bson:"rows"`
	Columns   []Column  `json:"columns" bson:"columns"`
	SizeBytes int64     `json:"size_bytes" bson:"size_bytes"`
	SHA256    string    `json:"sha256" bson:"sha256"`
	CreatedAt time.Time `json:"created_at" bson:"created_at"`
}

// DatasetSummary is a dataset as a listing shows it: all of it but the
// columns, whose names alone may be up to limits.dataset_header_bytes per
// dataset, so that a page stays small whatever was uploaded. The columns
// are in the Dataset itself (GET /v1/datasets/{id}).
type DatasetSummary struct {
	ID   string `json:"id" bson:"_id"`
	Name string `json:"name" bson:"name"`
	Rows int64  `json:"rows" bson:"rows"`
	// ColumnCount is len(Dataset.Columns); 0 (and left out) for datasets
	// stored before it was recorded.
	ColumnCount int       `json:"column_count,omitempty" bson:"column_count,omitempty"`
	SizeBytes   int64     `json:"size_bytes" bson:"size_bytes"`
	SHA256      string    `json:"sha256" bson:"sha256"`
	CreatedAt   time.Time `json:"created_at" bson:"created_at"`
}

// DatasetPage is one page of a dataset listing, newest first.
type DatasetPage struct {
	Datasets []*DatasetSummary `json:"datasets"`
	// NextCursor fetches the next page; "" when this is the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// DatasetInspector reads a dataset's raw bytes and describes them. On
// success it has read r to its end and returns a Dataset whose Rows,
// Columns, SizeBytes and SHA256 describe exactly the bytes read (the other
// fields are the store's to fill). It returns an error, and may stop
// reading early, when the bytes are not a valid dataset or r fails.
//
// The store, not the inspector, owns where the bytes go; the inspector
// owns what makes them valid (see DatasetStore.CreateDataset).
type DatasetInspector func(r io.Reader) (*Dataset, error)

// DatasetStore keeps datasets: a document describing each, and the raw CSV
// it was made from. A dataset exists, for every method here, exactly when
// its document does; the document is written after the raw bytes and
// deleted before them, so a visible dataset always has its bytes.
type DatasetStore interface {
	// Dataset returns the dataset with the given id, or CodeNotFound.
	Dataset(ctx context.Context, id string) (*Dataset, error)

	// ListDatasets returns one page of datasets, summarized, newest first. A limit of
	// 0 or less means the store's default page size; the store caps it.
	// cursor is "" or the NextCursor of a previous page; CodeInvalid
	// naming the field "cursor" for one the store did not make.
	ListDatasets(ctx context.Context, limit int, cursor string) (*DatasetPage, error)

	// CreateDataset stores a new dataset named name from the raw bytes of
	// r, in one pass: it streams r into the store while inspect reads the
	// same bytes, then writes the document, with a fresh id, the name and
	// the creation time added to what inspect returned. It returns the
	// stored dataset.
	//
	// When inspect fails, or r, the store or ctx does, nothing is left
	// behind and nothing becomes visible; the error is inspect's (or r's,
	// passed through inspect) wrapped so errors.As finds it, or the
	// store's: CodeUnavailable when the store is down.
	CreateDataset(ctx context.Context, name string, r io.Reader, inspect DatasetInspector) (*Dataset, error)

	// OpenDatasetCSV returns the dataset with the given id and a reader of
	// its raw bytes, exactly SizeBytes of them; the caller closes it.
	// CodeNotFound when the dataset does not exist.
	OpenDatasetCSV(ctx context.Context, id string) (*Dataset, io.ReadCloser, error)

	// OpenDatasetRange returns a reader of length bytes of the dataset's
	// raw CSV starting at offset; the caller closes it. CodeNotFound when
	// the dataset does not exist; CodeInvalid when the range is outside the
	// file.
	OpenDatasetRange(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error)
	// DeleteDataset deletes the dataset with the given id: its document
	// first, so it is no longer visible or usable, then its raw bytes.
	// CodeConflict while a queued or running job references it, also one
	// submitted at the same time (JobStore.CreateJob then fails instead, or
	// both do; never both succeed); CodeNotFound when it does not exist.
	DeleteDataset(ctx context.Context, id string) error
}
