// Package mongo keeps mlserve's documents and files in MongoDB (or FerretDB,
// which speaks its wire protocol) with the official mongo-driver v2.
//
// *Store implements model.JobStore, model.DatasetStore, model.VersionStore,
// model.ArtifactStore and model.ScoreStore.
// FerretDB v1 has no transactions, so every state change is a single-document
// conditional update or an insert guarded by a unique index.
package mongo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/model"
)

// Collection names.
const (
	collJobs     = "jobs"
	collDatasets = "datasets"
	collVersions = "model_versions"
	collAliases  = "aliases"
	collModels   = "models"
	collParts    = "score_parts"
	// collIdempotency binds Idempotency-Keys to jobs; see idempotency.go.
	collIdempotency = "idempotency_keys"
)

// GridFS bucket names, for Bucket.
const (
	BucketDatasets  = "datasets"  // raw dataset CSVs
	BucketArtifacts = "artifacts" // serialized models
	BucketOutputs   = "outputs"   // score job outputs
)

// Store is mlserve's document store. It is safe for concurrent use.
type Store struct {
	client  *mongo.Client
	db      *mongo.Database
	timeout time.Duration
	logger  *slog.Logger
	// now is the clock for timestamps the caller does not pass in.
	now func() time.Time
	// readBatch is how many bytes of chunks a GridFS range read fetches a
	// round trip: readBatchBytes, less in tests (see chunkBatch).
	readBatch int64
	// segmentChunks is how many chunks a segment of a file written in the
	// segmented layout holds: defaultSegmentChunks, less in tests.
	segmentChunks int64
	// jobLocks serializes this process's conditional updates of one job,
	// modelLocks those of one model's summary document and partLocks those
	// of one score part; see keyLocks for why.
	jobLocks   *keyLocks
	modelLocks *keyLocks
	partLocks  *keyLocks
	// sweepKeys is set where the server has no TTL indexes (FerretDB v1):
	// each keyed CreateJob then deletes the expired keys itself.
	sweepKeys bool
}

// Open connects to the database cfg names, checks that it answers and
// creates the indexes it needs (an existing identical index is left as it
// is, so Open can run on every start). cfg.Timeout bounds connecting, server
// selection and each store operation. CodeUnavailable when the server does
// not answer.
func Open(ctx context.Context, cfg config.Mongo, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts := options.Client().ApplyURI(cfg.URI).SetRegistry(registry())
	if cfg.Timeout > 0 {
		opts.SetConnectTimeout(cfg.Timeout).SetServerSelectionTimeout(cfg.Timeout)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("open mongo: %w", err)
	}
	s := &Store{
		client:        client,
		db:            client.Database(cfg.Database),
		timeout:       cfg.Timeout,
		logger:        logger,
		now:           time.Now,
		readBatch:     readBatchBytes,
		segmentChunks: defaultSegmentChunks,
		jobLocks:      newKeyLocks(),
		modelLocks:    newKeyLocks(),
		partLocks:     newKeyLocks(),
	}
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open mongo: %w", err)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open mongo: %w", err)
	}
	logger.Debug("mongo ready", "database", cfg.Database)
	return s, nil
}

// Ping checks that the server answers. CodeUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return storeErr("ping mongo", s.client.Ping(ctx, readpref.Primary()))
}

// Close disconnects, waiting for operations in progress until ctx ends.
func (s *Store) Close(ctx context.Context) error {
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("close mongo: %w", err)
	}
	return nil
}

// Bucket returns the GridFS bucket with the given name (BucketDatasets,
// BucketArtifacts or BucketOutputs). Get one per operation: the driver's
// bucket value keeps per-value buffers and is not safe for concurrent use.
func (s *Store) Bucket(name string) *mongo.GridFSBucket {
	return s.db.GridFSBucket(options.GridFSBucket().SetName(name))
}

// op bounds one store operation by the configured timeout.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// utcMillis returns t in UTC at BSON datetime precision, so a stored time
// reads back equal to the one the caller holds.
func utcMillis(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// Compile-time checks that Store is every store the domain needs.
var (
	_ model.JobStore      = (*Store)(nil)
	_ model.DatasetStore  = (*Store)(nil)
	_ model.VersionStore  = (*Store)(nil)
	_ model.ArtifactStore = (*Store)(nil)
	_ model.ScoreStore    = (*Store)(nil)
)
