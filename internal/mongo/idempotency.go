package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// claimTimeout is how long a claimed key may point at a job that is not
// there before the claim counts as abandoned: the claimant died between
// claiming the key and storing the job, or the job was deleted.
const claimTimeout = time.Minute

// idempotencyDoc binds an Idempotency-Key (hashed with its caller's scope,
// model.Idempotency.Key) to the job it created.
type idempotencyDoc struct {
	Key         string    `bson:"_id"`
	JobID       string    `bson:"job_id"`
	RequestHash string    `bson:"request_sha256"`
	ClaimedAt   time.Time `bson:"claimed_at"`
	ExpiresAt   time.Time `bson:"expires_at"`
}

// createIdempotent stores job under idem: it claims the key (the unique
// _id of the key's document guards it) and then stores the job. A key
// already claimed returns its job when the request is the same, is
// CodeInvalid when it is not, and CodeConflict while the claimant has not
// stored its job yet. An expired claim, or an abandoned one, is released
// and the key claimed again.
func (s *Store) createIdempotent(ctx context.Context, job *model.Job, idem *model.Idempotency) (*model.Job, bool, error) {
	if s.sweepKeys {
		s.sweepExpiredKeys(ctx)
	}
	for range 3 {
		now := s.now()
		err := s.insert(ctx, collIdempotency, idempotencyDoc{
			Key: idem.Key, JobID: job.ID, RequestHash: idem.RequestHash,
			ClaimedAt: utcMillis(now), ExpiresAt: utcMillis(idem.Expires),
		})
		if err == nil {
			if err := s.insert(ctx, collJobs, job); err != nil {
				s.releaseKey(ctx, idem.Key, job.ID)
				return nil, false, storeErr("create job", err)
			}
			// A job taken back is deleted with DeleteQueuedJob, which
			// releases its key.
			if err := s.keepIfDatasetUsable(ctx, job); err != nil {
				return nil, false, err
			}
			return job, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, false, storeErr("claim idempotency key", err)
		}
		claim, err := s.idempotencyClaim(ctx, idem.Key)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, false, storeErr("read idempotency key", err)
		}
		if !now.Before(claim.ExpiresAt) {
			s.releaseKey(ctx, idem.Key, claim.JobID)
			continue
		}
		if claim.RequestHash != idem.RequestHash {
			return nil, false, model.Invalid(map[string]string{"Idempotency-Key": "was used with a different request; " +
				"a replay must send the same request, and a new request a new key"})
		}
		prior, err := s.Job(ctx, claim.JobID)
		if model.ErrorCode(err) == model.CodeNotFound {
			if now.Sub(claim.ClaimedAt) > claimTimeout {
				s.releaseKey(ctx, idem.Key, claim.JobID)
				continue
			}
			return nil, false, model.Errorf(model.CodeConflict, "a request with this Idempotency-Key is still being processed; retry it")
		}
		if err != nil {
			return nil, false, err
		}
		return prior, false, nil
	}
	return nil, false, model.Errorf(model.CodeConflict, "the Idempotency-Key keeps being claimed and released; retry it")
}

// idempotencyClaim reads the claim of key.
func (s *Store) idempotencyClaim(ctx context.Context, key string) (*idempotencyDoc, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var doc idempotencyDoc
	if err := s.db.Collection(collIdempotency).FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// sweepExpiredKeys deletes every expired key, as a TTL index would; a
// failure is logged, since an expired key is also refused on use.
func (s *Store) sweepExpiredKeys(ctx context.Context) {
	opCtx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.Collection(collIdempotency).DeleteMany(opCtx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: utcMillis(s.now())}}}})
	if err != nil {
		s.logger.WarnContext(ctx, "sweep expired idempotency keys", "err", err)
	}
}

// releaseKey deletes the claim of key while it still names jobID, on a
// context that outlives the request: a claim left behind holds the key
// until claimTimeout. A failure is logged; the next use retries it.
func (s *Store) releaseKey(ctx context.Context, key, jobID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, err := s.db.Collection(collIdempotency).DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "job_id", Value: jobID}})
	if err != nil {
		s.logger.WarnContext(ctx, "release an idempotency key", "job_id", jobID, "err", err)
	}
}
