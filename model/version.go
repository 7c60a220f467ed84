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
	Metrics      Metrics        `json:"metrics" bson:"metrics"`
	Dataset      DatasetRef     `json:"dataset" bson:"dataset"`
	Artifact     ArtifactRef    `json:"artifact" bson:"artifact"`
	JobID        string         `json:"job_id" bson:"job_id"`
	CreatedAt    time.Time      `json:"created_at" bson:"created_at"`
	TrainSeconds float64        `json:"train_seconds" bson:"train_seconds"`
	// FeatureImportances, for tree models, in feature order; they sum to 1.
	FeatureImportances []FeatureImportance `json:"feature_importances,omitempty" bson:"feature_importances,omitempty"`
	// Iterations, for gradient boosting, is how many iterations the model
	// kept: params.iterations, or fewer when early stopping stopped it.
	Iterations int `json:"iterations,omitempty" bson:"iterations,omitempty"`
	// Preprocess are the fitted steps the model applies to its features
	// before its algorithm, in order.
	Preprocess []FittedStep `json:"preprocess,omitempty" bson:"preprocess,omitempty"`
	// Search, for a version a search chose, is every trial it ran and
	// the best, whose algorithm and params the version has.
	Search *SearchResult `json:"search,omitempty" bson:"search,omitempty"`
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

// ModelSummary describes a model name: its newest version and its aliases.
type ModelSummary struct {
	Name          string         `json:"name" bson:"_id"`
	LatestVersion int            `json:"latest_version" bson:"latest_version"`
	Aliases       map[string]int `json:"aliases" bson:"-"`
	UpdatedAt     time.Time      `json:"updated_at" bson:"updated_at"`
}

// ModelPage is one page of a model listing, by name.
type ModelPage struct {
	Models     []*ModelSummary `json:"models"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// VersionPage is one page of a model's versions, newest first.
type VersionPage struct {
	Versions   []*ModelVersion `json:"versions"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// VersionStore keeps model versions and their aliases: the registry. A
// version's document is written only after its artifact (ArtifactStore),
// so a version that exists can always be loaded. Listing methods take a
// limit (0 or less: the store's default; the store caps it) and a cursor
// ("" or a previous page's NextCursor; CodeInvalid naming "cursor" for one
// the store did not make).
type VersionStore interface {
	// ResolveVersion finds a version of the named model: the given version
	// when version > 0, else the one the alias points at when alias != "",
	// else the production alias's version when it exists, else the latest.
	// CodeNotFound when the model, version or alias does not exist.
	ResolveVersion(ctx context.Context, name string, version int, alias string) (*ModelVersion, error)

	// CreateVersion stores v as the next version of v.Name (concurrent
	// calls for one name get distinct, consecutive numbers) and returns it
	// with Version and CreatedAt set. v.JobID is required and unique: when
	// a version of that job exists already (a retried job), that version is
	// returned unchanged and nothing is written.
	CreateVersion(ctx context.Context, v *ModelVersion) (*ModelVersion, error)
	// VersionByJob returns the version the given job created, or
	// CodeNotFound.
	VersionByJob(ctx context.Context, jobID string) (*ModelVersion, error)
	// ListVersions returns one page of the named model's versions, newest
	// first; CodeNotFound when the model has none.
	ListVersions(ctx context.Context, name string, limit int, cursor string) (*VersionPage, error)
	// DeleteVersion deletes a version, its document first and then its
	// artifact. CodeConflict while an alias points at it; CodeNotFound.
	DeleteVersion(ctx context.Context, name string, version int) error

	// Model returns the summary of the named model, or CodeNotFound.
	Model(ctx context.Context, name string) (*ModelSummary, error)
	// ListModels returns one page of model summaries, by name.
	ListModels(ctx context.Context, limit int, cursor string) (*ModelPage, error)

	// SetAlias points alias at an existing version of the named model,
	// creating the alias or moving it (promote, roll back). CodeNotFound
	// when the version does not exist.
	SetAlias(ctx context.Context, name, alias string, version int) error
	// DeleteAlias removes an alias; CodeNotFound when it does not exist.
	DeleteAlias(ctx context.Context, name, alias string) error
}

// ArtifactStore keeps the serialized models. The artifact of the version a
// job trains is stored under the job's id, so a retried job replaces what an
// interrupted attempt left rather than adding to it.
type ArtifactStore interface {
	// PutArtifact stores data as the artifact of the model jobID trains,
	// replacing any earlier one of the same job, and returns its reference.
	PutArtifact(ctx context.Context, jobID string, data []byte) (ArtifactRef, error)
	// LoadArtifact returns the artifact of v after checking its bytes
	// against v.Artifact: CodeCorrupt when the size or sha256 differ,
	// CodeNotFound when it is missing.
	LoadArtifact(ctx context.Context, v *ModelVersion) ([]byte, error)
}
