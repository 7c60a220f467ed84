package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// An output of a score part is a BucketOutputs file whose id is the part's
// id, a dot and 8 random hex digits, fresh for each scoring, and whose
// filename is the part's id. The part lists it (model.ScorePart.Files)
// before the file's first chunk is written, which is how RemoveOrphanOutputs
// finds a job's orphan files, chunks included, with or without a files
// document, without searching the bucket. Every output file of a job also
// has an id starting with "<job id>.", which is how DeleteParts finds them
// all, listed or not.

// errFileAborted is what a part output returns once it is aborted.
var errFileAborted = errors.New("gridfs file aborted")

// CreatePartOutput implements model.ScoreStore. It adds the new file's id
// to the part's files in the store (not to *part), and then nothing reaches
// the store before the first full chunk; each chunk write is bounded by the
// store's timeout and ctx. CodeNotFound, and no file, when the part does
// not exist (its job was deleted).
func (s *Store) CreatePartOutput(ctx context.Context, part *model.ScorePart) (model.PartOutput, error) {
	if part == nil || part.ID == "" {
		return nil, model.Errorf(model.CodeInvalid, "create part output: no part")
	}
	var random [4]byte
	_, _ = rand.Read(random[:]) // never fails since Go 1.24
	id := part.ID + "." + hex.EncodeToString(random[:])
	if err := s.addPartFile(ctx, part.ID, id); err != nil {
		return nil, err
	}
	return &partOutput{s: s, ctx: ctx, file: s.newSegmentedWriter(ctx, BucketOutputs, id, part.ID)}, nil
}

// addPartFile adds file to the files of part id; CodeNotFound when the part
// does not exist. Under the part's lock, like every update of a part: on
// FerretDB v1 an $addToSet is a read-modify-write too, which could undo a
// concurrent claim, or be undone by it.
func (s *Store) addPartFile(ctx context.Context, id, file string) error {
	const op = "create part output"
	unlock := s.partLocks.lock(id)
	defer unlock()
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.db.Collection(collParts).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "files", Value: file}}}})
	if err != nil {
		return storeErr(op, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", op, model.Errorf(model.CodeNotFound, "unknown score part %q", id))
	}
	return nil
}

// partOutput is a model.PartOutput on a fileWriter.
type partOutput struct {
	s    *Store
	ctx  context.Context
	file *fileWriter
}

// ID, Size, Write and Close are the fileWriter's; see model.PartOutput.
func (o *partOutput) ID() string                  { return o.file.id }
func (o *partOutput) Size() int64                 { return o.file.size }
func (o *partOutput) Write(p []byte) (int, error) { return o.file.Write(p) }
func (o *partOutput) Close() error                { return o.file.Close() }

// Abort removes what the file wrote; a failure is logged, since the chunks
// are then orphans that RemoveOrphanOutputs or DeleteParts remove later.
// Writing or closing after Abort fails.
func (o *partOutput) Abort() {
	if o.file.err == nil {
		o.file.err = errFileAborted
	}
	if !o.file.touched {
		return
	}
	if err := o.s.removeFile(o.ctx, BucketOutputs, o.file.id); err != nil {
		o.s.logger.WarnContext(o.ctx, "abort part output; its chunks stay behind", "file_id", o.file.id, "err", err)
	}
}

// OpenPartOutput implements model.ScoreStore. The reader streams the file
// a batch of chunks at a time and lives on ctx, since an output download
// lasts as long as its client reads. CodeCorrupt when the file's size is
// not the part's OutputBytes, or a chunk is missing.
func (s *Store) OpenPartOutput(ctx context.Context, part *model.ScorePart) (io.ReadCloser, error) {
	if part.Output == "" {
		return nil, model.Errorf(model.CodeNotFound, "part %s has no output", part.ID)
	}
	f, err := s.fileDoc(ctx, BucketOutputs, part.Output)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, model.Errorf(model.CodeNotFound, "the output %s of part %s is missing", part.Output, part.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("open part output: %w", err)
	}
	if f.Length != part.OutputBytes {
		return nil, model.Errorf(model.CodeCorrupt, "the output %s of part %s has %d bytes, the part says %d", part.Output, part.ID, f.Length, part.OutputBytes)
	}
	r, err := s.openRange(ctx, BucketOutputs, f, 0, f.Length)
	if err != nil {
		return nil, fmt.Errorf("open part output: %w", err)
	}
	return r, nil
}

// RemoveOrphanOutputs implements model.ScoreStore. It reads the job's
// parts, and when every file they list is a done part's output, which is
// the usual end of a job, it is done: it never searches the outputs bucket,
// whose every query FerretDB v1 answers by decoding the whole bucket.
// Otherwise it deletes the orphans by id: the files documents first, so
// readers stop finding the files, then the chunks, including those of a
// scoring killed before it wrote its files document.
//
// The parts are read first and the files removed after, so an output
// recorded in between would be removed too: call it once every part is
// done, when no part can complete any more. A file started after the read
// stays until DeleteParts.
func (s *Store) RemoveOrphanOutputs(ctx context.Context, jobID string) error {
	if jobID == "" {
		return model.Errorf(model.CodeInvalid, "remove orphan outputs: no job id")
	}
	orphans, err := s.orphanOutputs(ctx, jobID)
	if err != nil || len(orphans) == 0 {
		return err
	}
	ids := make([]string, len(orphans))
	for i, o := range orphans {
		ids[i] = regexp.QuoteMeta(o.(string))
	}
	return s.deleteOutputs(ctx, "remove orphan outputs of job "+jobID, bson.D{{Key: "$in", Value: orphans}}, strings.Join(ids, "|"))
}

// DeleteParts implements model.ScoreStore. The output files go before the
// parts, so a part never outlives its file by more than the operation.
func (s *Store) DeleteParts(ctx context.Context, jobID string) error {
	if jobID == "" {
		return model.Errorf(model.CodeInvalid, "delete parts: no job id")
	}
	op := "delete parts of job " + jobID
	if err := s.deleteOutputs(ctx, op, bson.D{{Key: "$regex", Value: "^" + outputsOf(jobID)}}, outputsOf(jobID)); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.Collection(collParts).DeleteMany(ctx, bson.D{{Key: "job_id", Value: jobID}})
	return storeErr(op, err)
}

// outputsOf is the pattern of the ids of job jobID's output files.
func outputsOf(jobID string) string {
	return regexp.QuoteMeta(jobID+".") + ".*"
}

// orphanOutputs lists the files the parts of job jobID list that no done
// part refers to. A listed id that is not the part's own output id is left
// out: whatever put it there, it is not a file of this job to remove.
func (s *Store) orphanOutputs(ctx context.Context, jobID string) (bson.A, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	cur, err := s.db.Collection(collParts).Find(ctx,
		bson.D{{Key: "job_id", Value: jobID}},
		options.Find().SetProjection(bson.D{{Key: "status", Value: 1}, {Key: "output", Value: 1}, {Key: "files", Value: 1}}))
	if err != nil {
		return nil, storeErr("list parts", err)
	}
	var parts []model.ScorePart
	if err := cur.All(ctx, &parts); err != nil {
		return nil, storeErr("list parts", err)
	}
	kept := make(map[string]bool, len(parts))
	for _, p := range parts {
		if p.Status == model.PartDone {
			kept[p.Output] = true
		}
	}
	var orphans bson.A
	for _, p := range parts {
		for _, f := range p.Files {
			if !kept[f] && strings.HasPrefix(f, p.ID+".") {
				orphans = append(orphans, f)
			}
		}
	}
	return orphans, nil
}

// deleteOutputs deletes the outputs files whose ids match idCond, so
// readers stop finding them, then the segments of the files whose ids match
// idPattern (the same ids as a regular expression), then every GridFS chunk
// whose files_id matches idCond: files document or not, either layout.
func (s *Store) deleteOutputs(ctx context.Context, op string, idCond bson.D, idPattern string) error {
	deleteMany := func(coll, field string) error {
		opCtx, cancel := s.op(ctx)
		defer cancel()
		_, err := s.db.Collection(coll).DeleteMany(opCtx, bson.D{{Key: field, Value: idCond}})
		return storeErr(op, err)
	}
	if err := deleteMany(BucketOutputs+".files", "_id"); err != nil {
		return err
	}
	if err := s.dropSegments(ctx, BucketOutputs, idPattern); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return deleteMany(BucketOutputs+".chunks", "files_id")
}
