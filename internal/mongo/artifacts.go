package mongo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// A version's artifact is the BucketArtifacts file whose id is the id of
// the job that trained it, named "<job id>.model".

// PutArtifact implements model.ArtifactStore. An earlier file of the job
// (an attempt that died before creating its version) is removed first,
// then the new one written chunk by chunk; the file is complete once its
// files document is written, last. Once a version of the job exists, its
// file is what that version points at and is never replaced: the same
// bytes again (a retried attempt of deterministic training) return the
// same reference, other bytes are CodeConflict.
func (s *Store) PutArtifact(ctx context.Context, jobID string, data []byte) (model.ArtifactRef, error) {
	if jobID == "" {
		return model.ArtifactRef{}, model.Errorf(model.CodeInvalid, "an artifact needs a job id")
	}
	sum := sha256.Sum256(data)
	ref := model.ArtifactRef{SHA256: hex.EncodeToString(sum[:]), SizeBytes: int64(len(data))}
	v, err := s.VersionByJob(ctx, jobID)
	switch model.ErrorCode(err) {
	case "":
		if v.Artifact != ref {
			return model.ArtifactRef{}, model.Errorf(model.CodeConflict,
				"job %s already created version %d of model %q with another artifact", jobID, v.Version, v.Name)
		}
		return ref, nil
	case model.CodeNotFound:
	default:
		return model.ArtifactRef{}, err
	}

	if err := s.removeFile(ctx, BucketArtifacts, jobID); err != nil {
		return model.ArtifactRef{}, fmt.Errorf("put artifact: %w", err)
	}
	file := s.newFileWriter(ctx, BucketArtifacts, jobID, jobID+".model")
	_, err = file.Write(data)
	if err == nil {
		err = file.Close()
	}
	if err != nil {
		if file.touched {
			if rerr := s.removeFile(ctx, BucketArtifacts, jobID); rerr != nil {
				s.logger.WarnContext(ctx, "discard artifact; its chunks stay behind until the job writes it again", "job_id", jobID, "err", rerr)
			}
		}
		return model.ArtifactRef{}, fmt.Errorf("put artifact: %w", err)
	}
	return ref, nil
}

// LoadArtifact implements model.ArtifactStore. The whole load is one store
// operation, bounded by the store's timeout: an artifact is read whole into
// memory, so it is small enough for that.
func (s *Store) LoadArtifact(ctx context.Context, v *model.ModelVersion) ([]byte, error) {
	missing := model.Errorf(model.CodeNotFound, "the artifact of version %d of model %q is missing", v.Version, v.Name)
	if v.JobID == "" {
		return nil, missing
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	stream, err := s.Bucket(BucketArtifacts).OpenDownloadStream(ctx, v.JobID)
	if errors.Is(err, mongo.ErrFileNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, storeErr("open artifact", err)
	}
	defer func() { _ = stream.Close() }()

	corrupt := func(format string, args ...any) error {
		return model.Errorf(model.CodeCorrupt, "the artifact of version %d of model %q is corrupt: %s",
			v.Version, v.Name, fmt.Sprintf(format, args...))
	}
	if n := stream.GetFile().Length; n != v.Artifact.SizeBytes {
		return nil, corrupt("it has %d bytes, the version says %d", n, v.Artifact.SizeBytes)
	}
	var buf bytes.Buffer
	buf.Grow(int(v.Artifact.SizeBytes))
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(&buf, h), stream)
	switch {
	case errors.Is(err, mongo.ErrMissingChunk), errors.Is(err, mongo.ErrWrongSize), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, corrupt("%v", err)
	case err != nil:
		return nil, storeErr("read artifact", err)
	case int64(buf.Len()) != v.Artifact.SizeBytes:
		return nil, corrupt("%d bytes read, the version says %d", buf.Len(), v.Artifact.SizeBytes)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != v.Artifact.SHA256 {
		return nil, corrupt("sha256 %s, the version says %s", got, v.Artifact.SHA256)
	}
	return buf.Bytes(), nil
}
