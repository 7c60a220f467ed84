package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// DeleteVersion implements model.VersionStore.
//
// The document goes first, so the version stops resolving before its
// artifact goes; when removing the artifact fails, or the process dies in
// between, the file is an orphan no document points at, logged and left.
// The number stays taken (see modelDoc.MaxVersion). The alias check runs
// before and again after the delete: an alias SetAlias wrote meanwhile puts
// the version back and the delete fails with CodeConflict (see SetAlias).
func (s *Store) DeleteVersion(ctx context.Context, name string, version int) error {
	mv, err := s.version(ctx, name, version)
	if model.ErrorCode(err) == model.CodeNotFound {
		// Perhaps a retry of a delete whose sync failed: sync now.
		if serr := s.syncModel(ctx, name); serr != nil {
			s.logger.WarnContext(ctx, "sync model summary", "model", name, "err", serr)
		}
	}
	if err != nil {
		return err
	}
	if err := s.requireUnaliased(ctx, name, version); err != nil {
		return err
	}
	if err := s.raiseMaxVersion(ctx, name, version); err != nil {
		return err
	}
	opCtx, cancel := s.op(ctx)
	res, err := s.db.Collection(collVersions).DeleteOne(opCtx, bson.D{{Key: "name", Value: name}, {Key: "version", Value: version}})
	cancel()
	if err != nil {
		return storeErr("delete version", err)
	}
	if res.DeletedCount == 0 {
		return model.Errorf(model.CodeNotFound, "model %q has no version %d", name, version)
	}
	if err := s.requireUnaliased(ctx, name, version); err != nil {
		if model.ErrorCode(err) == model.CodeConflict {
			s.restoreVersion(ctx, mv)
		}
		if serr := s.syncModel(ctx, name); serr != nil {
			s.logger.WarnContext(ctx, "sync model summary", "model", name, "err", serr)
		}
		return err
	}
	if err := s.removeFile(ctx, BucketArtifacts, mv.JobID); err != nil {
		s.logger.WarnContext(ctx, "delete artifact; it stays behind as an orphan",
			"model", name, "version", version, "job_id", mv.JobID, "err", err)
	}
	return s.syncModel(ctx, name)
}

// restoreVersion puts back a version deleted while an alias was set on it.
// Its number is still its own: numbers are never given twice.
func (s *Store) restoreVersion(ctx context.Context, mv *model.ModelVersion) {
	if err := s.insert(context.WithoutCancel(ctx), collVersions, mv); err != nil {
		s.logger.ErrorContext(ctx, "restore a version an alias was set on while it was deleted; the alias dangles",
			"model", mv.Name, "version", mv.Version, "err", err)
	}
}
