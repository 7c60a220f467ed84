package model

import (
	"context"
	"time"
)

// Model tasks.
const (
	TaskClassification = "classification"
	TaskRegression     = "regression"
)

// AliasProduction is the alias a bare model name resolves to when it exists.
const AliasProduction = "production"

// ModelVersion is one trained, immutable version of a named model. It is
// loadable only once its document exists, and its document is written only
// after its artifact.
type ModelVersion struct {
	Name         string         `json:"name" bson:"name"`
	Version      int            `json:"version" bson:"version"`
	Algorithm    string         `json:"algorithm" bson:"algorithm"`
	Params       map[string]any `json:"params" bson:"params"`
	Task         string         `json:"task" bson:"task"`
	Target       string         `json:"target" bson:"target"`
	Features     []Column       `json:"features" bson:"features"`
	Classes      []string       `json:"classes,omitempty" bson:"classes,omitempty"`
	Metrics      map[string]any `json:"metrics" bson:"metrics"`
	Dataset      DatasetRef     `json:"dataset" bson:"dataset"`
	Artifact     ArtifactRef    `json:"artifact" bson:"artifact"`
	JobID        string         `json:"job_id" bson:"job_id"`
	CreatedAt    time.Time      `json:"created_at" bson:"created_at"`
	TrainSeconds float64        `json:"train_seconds" bson:"train_seconds"`
}

// DatasetRef names the dataset a version was trained on, as it was then.
type DatasetRef struct {
	ID     string `json:"id" bson:"id"`
	SHA256 string `json:"sha256" bson:"sha256"`
	Rows   int64  `json:"rows" bson:"rows"`
}

// ArtifactRef points at a version's serialized model and pins its bytes.
type ArtifactRef struct {
	SHA256    string `json:"sha256" bson:"sha256"`
	SizeBytes int64  `json:"size_bytes" bson:"size_bytes"`
}

// VersionStore keeps model versions and their aliases.
type VersionStore interface {
	// ResolveVersion finds a version of the named model: the given version
	// when version > 0, else the one the alias points at when alias != "",
	// else the production alias's version when it exists, else the latest.
	// CodeNotFound when the model, version or alias does not exist.
	ResolveVersion(ctx context.Context, name string, version int, alias string) (*ModelVersion, error)
}
