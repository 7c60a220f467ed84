package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// indexes lists every index by collection. Names are explicit so that a
// changed definition fails loudly at Open instead of adding a second index.
func indexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		collJobs: {
			// Listing: newest first, with _id breaking ties in created_at.
			{Keys: bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}, Options: options.Index().SetName("created_at_id")},
			{Keys: bson.D{{Key: "type", Value: 1}, {Key: "created_at", Value: -1}}, Options: options.Index().SetName("type_created_at")},
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "created_at", Value: -1}}, Options: options.Index().SetName("status_created_at")},
			{Keys: bson.D{{Key: "request.model", Value: 1}, {Key: "created_at", Value: -1}}, Options: options.Index().SetName("model_created_at")},
		},
		collVersions: {
			{Keys: bson.D{{Key: "name", Value: 1}, {Key: "version", Value: 1}}, Options: options.Index().SetName("name_version").SetUnique(true)},
			// Every version has a job id, and a job makes at most one
			// version: a retried job finds its version instead of adding one.
			{Keys: bson.D{{Key: "job_id", Value: 1}}, Options: options.Index().SetName("job_id_unique").SetUnique(true)},
		},
		collAliases: {
			{Keys: bson.D{{Key: "model", Value: 1}, {Key: "alias", Value: 1}}, Options: options.Index().SetName("model_alias").SetUnique(true)},
			// Finding the aliases that point at a version before deleting it.
			{Keys: bson.D{{Key: "model", Value: 1}, {Key: "version", Value: 1}}, Options: options.Index().SetName("model_version")},
		},
		collDatasets: {
			{Keys: bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}, Options: options.Index().SetName("created_at_id")},
		},
		collIdempotency: {
			// Releasing the key of a job deleted before it ran.
			{Keys: bson.D{{Key: "job_id", Value: 1}}, Options: options.Index().SetName("job_id")},
		},
		collParts: {
			// Parts lists a job's parts by index; a plan has one part per
			// index, so planning a job twice cannot add a second one.
			{Keys: bson.D{{Key: "job_id", Value: 1}, {Key: "index", Value: 1}}, Options: options.Index().SetName("job_id_index").SetUnique(true)},
		},
	}
}

// keyExpiryIndex lets MongoDB remove expired Idempotency-Keys itself.
// FerretDB v1 does not implement TTL indexes; there the plain index
// keyExpiryFallback serves the sweep createIdempotent runs instead. Both
// are made per call: the driver writes into an index's options as it
// creates it, so stores opened at once must not share them.
func keyExpiryIndex() mongo.IndexModel {
	return mongo.IndexModel{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at_ttl").SetExpireAfterSeconds(0)}
}

func keyExpiryFallback() mongo.IndexModel {
	return mongo.IndexModel{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at")}
}

// codeNotImplemented is FerretDB's answer to an index option it lacks.
const codeNotImplemented = 238

// ensureKeyExpiry creates keyExpiryIndex, or where the server has no TTL
// indexes keyExpiryFallback, and then sets s.sweepKeys.
func (s *Store) ensureKeyExpiry(ctx context.Context) error {
	opCtx, cancel := s.op(ctx)
	_, err := s.db.Collection(collIdempotency).Indexes().CreateOne(opCtx, keyExpiryIndex())
	cancel()
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != codeNotImplemented {
		return storeErr("create the TTL index on "+collIdempotency, err)
	}
	opCtx, cancel = s.op(ctx)
	defer cancel()
	_, err = s.db.Collection(collIdempotency).Indexes().CreateOne(opCtx, keyExpiryFallback())
	s.sweepKeys = err == nil
	return storeErr("create indexes on "+collIdempotency, err)
}

// retiredIndexes lists, by collection, indexes an earlier release created
// that conflict with the ones above: they are dropped before those are
// created.
func retiredIndexes() map[string][]string {
	return map[string][]string{
		// Non-unique, on the keys job_id_unique now has.
		collVersions: {"job_id"},
	}
}

// gridFSIndexes are the indexes the driver creates on a bucket's first
// write, created here up front, with the driver's keys and default names, so
// that the unique (files_id, n) guard exists before any upload.
func gridFSIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		".files":  {{Keys: bson.D{{Key: "filename", Value: int32(1)}, {Key: "uploadDate", Value: int32(1)}}}},
		".chunks": {{Keys: bson.D{{Key: "files_id", Value: int32(1)}, {Key: "n", Value: int32(1)}}, Options: options.Index().SetUnique(true)}},
	}
}

// ensureIndexes creates the indexes that are missing. Creating an index
// that exists with the same definition is a no-op on MongoDB and FerretDB.
//
// Indexes are created one per command: FerretDB v1.24 drops the existing
// ones from a createIndexes list by their original positions, so a list with
// two or more existing indexes makes it panic and close the connection, and
// every Open after the first would fail.
func (s *Store) ensureIndexes(ctx context.Context) error {
	create := func(coll string, models []mongo.IndexModel) error {
		for _, m := range models {
			ctx, cancel := s.op(ctx)
			_, err := s.db.Collection(coll).Indexes().CreateOne(ctx, m)
			cancel()
			if err != nil {
				return storeErr("create indexes on "+coll, err)
			}
		}
		return nil
	}
	for coll, names := range retiredIndexes() {
		for _, name := range names {
			if err := s.dropIndex(ctx, coll, name); err != nil {
				return err
			}
		}
	}
	for coll, models := range indexes() {
		if err := create(coll, models); err != nil {
			return err
		}
	}
	if err := s.ensureKeyExpiry(ctx); err != nil {
		return err
	}
	for _, bucket := range []string{BucketDatasets, BucketArtifacts, BucketOutputs} {
		for suffix, models := range gridFSIndexes() {
			if err := create(bucket+suffix, models); err != nil {
				return fmt.Errorf("bucket %s: %w", bucket, err)
			}
		}
	}
	return nil
}

// dropIndex drops the named index of coll; one that is not there, or a
// collection that is not, is not an error.
func (s *Store) dropIndex(ctx context.Context, coll, name string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	err := s.db.Collection(coll).Indexes().DropOne(ctx, name)
	var ce mongo.CommandError
	if errors.As(err, &ce) && (ce.Code == codeNamespaceNotFound || ce.Code == codeIndexNotFound) {
		return nil
	}
	return storeErr("drop index "+name+" of "+coll, err)
}

// Server error codes dropIndex tolerates.
const (
	codeNamespaceNotFound = 26
	codeIndexNotFound     = 27
)
