package model

import (
	"context"
	"time"
)

// Column types inferred from a dataset's values.
const (
	ColumnNumber = "number"
	ColumnString = "string"
)

// Column is one column of a dataset or one feature of a model.
type Column struct {
	Name string `json:"name" bson:"name"`
	// Type is ColumnNumber when every non-empty value parses as a float,
	// else ColumnString.
	Type string `json:"type" bson:"type"`
}

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

// DatasetStore keeps dataset documents.
type DatasetStore interface {
	// Dataset returns the dataset with the given id, or CodeNotFound.
	Dataset(ctx context.Context, id string) (*Dataset, error)
}
