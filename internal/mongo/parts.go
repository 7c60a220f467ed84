package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// A score job's parts are score_parts documents. Their ids are derived from
// the job id and the index (model.PartID), so a plan stored twice, by a
// coordinator that crashed after CreateParts, adds nothing.
//
// A claim is the pair (owner, lease_until) of a pending part: it is live
// while lease_until is after now. Released and unclaimed parts have the zero
// time as lease_until, which every now is after; owner stays as the last
// holder.

// codeDuplicateKey is the server's error code for a duplicate key.
const codeDuplicateKey = 11000

// leaseFormat is how a conflict names when a claim lapses.
const leaseFormat = "2006-01-02T15:04:05.000Z07:00"

// CreateParts implements model.ScoreStore. It fills a part's empty ID with
// model.PartID and an empty Status with pending, and stores times at
// millisecond precision. CodeInvalid when a part's ID is not its
// model.PartID, which the plan's idempotence relies on.
func (s *Store) CreateParts(ctx context.Context, parts []*model.ScorePart) error {
	if len(parts) == 0 {
		return nil
	}
	docs := make([]any, len(parts))
	for i, p := range parts {
		want := model.PartID(p.JobID, p.Index)
		if p.ID == "" {
			p.ID = want
		}
		if p.JobID == "" || p.ID != want {
			return model.Errorf(model.CodeInvalid, "create parts: part %q of job %q at index %d is not named %q", p.ID, p.JobID, p.Index, want)
		}
		if p.Status == "" {
			p.Status = model.PartPending
		}
		p.LeaseUntil = utcMillis(p.LeaseUntil)
		if p.FinishedAt != nil {
			at := utcMillis(*p.FinishedAt)
			p.FinishedAt = &at
		}
		docs[i] = p
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	// Unordered, so that the parts after an existing one are inserted too.
	_, err := s.db.Collection(collParts).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if onlyDuplicates(err) {
		return nil
	}
	return storeErr("create parts", err)
}

// onlyDuplicates reports whether err is a bulk write whose every failure is
// a duplicate key.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != codeDuplicateKey {
			return false
		}
	}
	return true
}

// Parts implements model.ScoreStore.
func (s *Store) Parts(ctx context.Context, jobID string) ([]*model.ScorePart, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	cur, err := s.db.Collection(collParts).Find(ctx, bson.D{{Key: "job_id", Value: jobID}},
		options.Find().SetSort(bson.D{{Key: "index", Value: 1}}))
	if err != nil {
		return nil, storeErr("list parts", err)
	}
	parts := []*model.ScorePart{}
	if err := cur.All(ctx, &parts); err != nil {
		return nil, storeErr("list parts", err)
	}
	return parts, nil
}

// ClaimPart implements model.ScoreStore. A claim lapses when its
// lease_until is before now.
func (s *Store) ClaimPart(ctx context.Context, id, owner string, now, until time.Time) (*model.ScorePart, error) {
	if owner == "" {
		return nil, model.Errorf(model.CodeInvalid, "claim part %s: no owner", id)
	}
	return s.updatePart(ctx, "claim part", id,
		bson.D{
			{Key: "status", Value: model.PartPending},
			{Key: "$or", Value: bson.A{
				bson.D{{Key: "owner", Value: owner}},
				bson.D{{Key: "lease_until", Value: bson.D{{Key: "$lt", Value: utcMillis(now)}}}},
			}},
		},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "owner", Value: owner},
			{Key: "lease_until", Value: utcMillis(until)},
		}}})
}

// ReleasePart implements model.ScoreStore. Releasing a part that does not
// exist is not an error either.
func (s *Store) ReleasePart(ctx context.Context, id, owner string) error {
	unlock := s.partLocks.lock(id)
	defer unlock()
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.Collection(collParts).UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: id},
			{Key: "status", Value: model.PartPending},
			{Key: "owner", Value: owner},
		},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lease_until", Value: time.Time{}}}}})
	return storeErr("release part", err)
}

// CompletePart implements model.ScoreStore. Any scorer of a pending part
// may complete it, whether or not its claim is still live: the part's rows
// are scored the same by every scorer, so the first complete output wins
// and later ones conflict. output must be named as CreatePartOutput names
// the part's files (CodeInvalid otherwise), so DeleteParts finds it.
// CodeNotFound when the part does not exist (its job was deleted):
// the caller aborts its file then too.
func (s *Store) CompletePart(ctx context.Context, id, owner, output string, outputBytes int64, now time.Time) error {
	if !strings.HasPrefix(output, id+".") || outputBytes < 0 {
		return model.Errorf(model.CodeInvalid, "complete part %s: %q (%d bytes) is not an output file of the part", id, output, outputBytes)
	}
	_, err := s.updatePart(ctx, "complete part", id,
		bson.D{{Key: "status", Value: model.PartPending}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: model.PartDone},
			{Key: "owner", Value: owner},
			{Key: "output", Value: output},
			{Key: "output_bytes", Value: outputBytes},
			{Key: "finished_at", Value: utcMillis(now)},
		}}})
	return err
}

// FailPart implements model.ScoreStore.
func (s *Store) FailPart(ctx context.Context, id string, jobErr *model.JobError, now time.Time) error {
	if jobErr == nil {
		return model.Errorf(model.CodeInvalid, "fail part %s: no error", id)
	}
	_, err := s.updatePart(ctx, "fail part", id,
		bson.D{{Key: "status", Value: model.PartPending}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: model.PartFailed},
			{Key: "error", Value: jobErr},
			{Key: "finished_at", Value: utcMillis(now)},
		}}})
	return err
}

// updatePart applies update to part id when it also matches cond, and
// returns the part as updated. When nothing matches it returns the part as
// it is with CodeConflict saying why, or CodeNotFound.
//
// The part is read back under the same lock, so within this process the
// explanation is the state that refused the update.
func (s *Store) updatePart(ctx context.Context, op, id string, cond, update bson.D) (*model.ScorePart, error) {
	unlock := s.partLocks.lock(id)
	defer unlock()
	ctx, cancel := s.op(ctx)
	defer cancel()
	coll := s.db.Collection(collParts)
	var p model.ScorePart
	err := coll.FindOneAndUpdate(ctx,
		append(bson.D{{Key: "_id", Value: id}}, cond...),
		update,
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&p)
	if err == nil {
		return &p, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, storeErr(op, err)
	}
	err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("%s: %w", op, model.Errorf(model.CodeNotFound, "unknown score part %q", id))
	}
	if err != nil {
		return nil, storeErr(op, err)
	}
	return &p, fmt.Errorf("%s: %w", op, model.Errorf(model.CodeConflict, "%s", partState(&p)))
}

// partState says what state part p is in, for a conflict.
func partState(p *model.ScorePart) string {
	switch {
	case p.Status == model.PartDone:
		return fmt.Sprintf("part %s is done", p.ID)
	case p.Status == model.PartFailed:
		return fmt.Sprintf("part %s failed", p.ID)
	case p.Owner != "":
		return fmt.Sprintf("part %s is claimed by %s until %s", p.ID, p.Owner, p.LeaseUntil.UTC().Format(leaseFormat))
	}
	return fmt.Sprintf("part %s is %s", p.ID, p.Status)
}
