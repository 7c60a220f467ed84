package mongo

import (
	"context"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// numberAttempts bounds CreateVersion's tries at a free version number.
// Every lost try means another version of the name was created meanwhile,
// so this is the most concurrent creations of one name it absorbs.
const numberAttempts = 64

// maxNumberBackoff caps the pause between two tries at a number.
const maxNumberBackoff = 20 * time.Millisecond

// CreateVersion implements model.VersionStore.
//
// The number is the highest the name has had (in model_versions or, for
// deleted versions, the summary's MaxVersion) plus one, claimed by inserting
// the document: the unique (name, version) index makes exactly one of
// concurrent claims of a number succeed, and the losers read again and try
// the next. Nothing here is a read-modify-write, which FerretDB v1 would
// not make atomic. The unique job_id index makes a job's second version
// fail the same way; a duplicate key is told apart by looking the job up.
func (s *Store) CreateVersion(ctx context.Context, v *model.ModelVersion) (*model.ModelVersion, error) {
	if v.JobID == "" || v.Name == "" {
		return nil, model.Errorf(model.CodeInvalid, "a model version needs a name and a job id")
	}
	if existing, err := s.existingVersion(ctx, v.JobID); existing != nil || err != nil {
		return existing, err
	}
	doc := *v
	if doc.CreatedAt.IsZero() {
		doc.CreatedAt = s.now()
	}
	doc.CreatedAt = utcMillis(doc.CreatedAt)
	for attempt := range numberAttempts {
		next, err := s.nextNumber(ctx, v.Name)
		if err != nil {
			return nil, err
		}
		doc.Version = next
		err = s.insert(ctx, collVersions, &doc)
		if err == nil {
			if err := s.syncModel(ctx, doc.Name); err != nil {
				return nil, err // a retry finds the version and syncs again
			}
			return &doc, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, storeErr("create version", err)
		}
		if existing, err := s.existingVersion(ctx, v.JobID); existing != nil || err != nil {
			return existing, err // the job_id index fired: a concurrent attempt of this job won
		}
		// The (name, version) index fired: another job took the number.
		if err := sleepCtx(ctx, numberBackoff(attempt)); err != nil {
			return nil, storeErr("create version", err)
		}
	}
	return nil, model.Errorf(model.CodeUnavailable, "too many versions of model %q are being created at once; try again", v.Name)
}

// existingVersion returns the version job jobID created, after syncing its
// model's summary in case the process that created it died before doing so
// (a retried job is the usual reason to call this), or nil when there is
// none.
func (s *Store) existingVersion(ctx context.Context, jobID string) (*model.ModelVersion, error) {
	existing, err := s.VersionByJob(ctx, jobID)
	switch model.ErrorCode(err) {
	case "":
		if err := s.syncModel(ctx, existing.Name); err != nil {
			return nil, err
		}
		return existing, nil
	case model.CodeNotFound:
		return nil, nil
	}
	return nil, err
}

// nextNumber returns the number after the highest the named model has ever
// had. model_versions is read before the summary: DeleteVersion raises the
// summary's MaxVersion before it deletes, so a version missed by the first
// read has been counted by the time of the second.
func (s *Store) nextNumber(ctx context.Context, name string) (int, error) {
	latest, err := s.latestNumber(ctx, name)
	if err != nil {
		return 0, err
	}
	maxVersion, err := s.maxVersion(ctx, name)
	if err != nil {
		return 0, err
	}
	return max(latest, maxVersion) + 1, nil
}

// numberBackoff is the pause after losing attempt: growing and jittered, so
// that contenders spread out instead of colliding again in lockstep.
func numberBackoff(attempt int) time.Duration {
	ceiling := min(time.Duration(attempt+1)*time.Millisecond, maxNumberBackoff)
	return rand.N(ceiling) + 1
}

// sleepCtx sleeps for d or until ctx is done, returning ctx's error then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
