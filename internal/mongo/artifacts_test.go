package mongo

import (
	"bytes"
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// putVersion stores data as job's artifact and creates a version of name
// pointing at it.
func putVersion(tb testing.TB, s *Store, name, job string, data []byte) *model.ModelVersion {
	tb.Helper()
	ctx := context.Background()
	ref, err := s.PutArtifact(ctx, job, data)
	if err != nil {
		tb.Fatal(err)
	}
	v := newVersion(name, job)
	v.Artifact = ref
	if v, err = s.CreateVersion(ctx, v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// artifactData is 2.5 GridFS chunks of bytes that differ by seed.
func artifactData(seed byte) []byte {
	data := make([]byte, chunkSize*5/2)
	for i := range data {
		data[i] = byte(i*7) + seed
	}
	return data
}

// countArtifactFiles counts the artifacts bucket's files and chunks of job.
func countArtifactFiles(tb testing.TB, s *Store, job string) (files, chunks int64) {
	tb.Helper()
	ctx := context.Background()
	files, err := s.db.Collection(BucketArtifacts+".files").CountDocuments(ctx, bson.D{{Key: "_id", Value: job}})
	if err != nil {
		tb.Fatal(err)
	}
	chunks, err = s.db.Collection(BucketArtifacts+".chunks").CountDocuments(ctx, bson.D{{Key: "files_id", Value: job}})
	if err != nil {
		tb.Fatal(err)
	}
	return files, chunks
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	t.Run("an artifact loads back as stored", func(t *testing.T) {
		data := artifactData(1)
		v := putVersion(t, s, "iris", "j1", data)
		if v.Artifact.SizeBytes != int64(len(data)) || len(v.Artifact.SHA256) != 64 {
			t.Fatalf("ref %+v", v.Artifact)
		}
		got, err := s.LoadArtifact(ctx, v)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("loaded %d bytes, %v; want %d", len(got), err, len(data))
		}
	})
	t.Run("a second put of one job replaces the first", func(t *testing.T) {
		if _, err := s.PutArtifact(ctx, "j2", artifactData(2)); err != nil {
			t.Fatal(err)
		}
		small := []byte("the second attempt")
		v := putVersion(t, s, "iris", "j2", small)
		if files, chunks := countArtifactFiles(t, s, "j2"); files != 1 || chunks != 1 {
			t.Fatalf("%d files and %d chunks, want 1 and 1", files, chunks)
		}
		if got, err := s.LoadArtifact(ctx, v); err != nil || !bytes.Equal(got, small) {
			t.Fatalf("loaded %q, %v", got, err)
		}
	})
	t.Run("once the job has a version, its artifact stays", func(t *testing.T) {
		v, err := s.VersionByJob(ctx, "j1")
		if err != nil {
			t.Fatal(err)
		}
		ref, err := s.PutArtifact(ctx, "j1", artifactData(1))
		if err != nil || ref != v.Artifact {
			t.Fatalf("the same bytes again gave %+v, %v; want %+v", ref, err, v.Artifact)
		}
		_, err = s.PutArtifact(ctx, "j1", artifactData(9))
		wantCode(t, err, model.CodeConflict)
		if _, err := s.LoadArtifact(ctx, v); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deleting a version deletes its artifact", func(t *testing.T) {
		v, err := s.VersionByJob(ctx, "j2")
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteVersion(ctx, "iris", v.Version), "")
		if files, chunks := countArtifactFiles(t, s, "j2"); files != 0 || chunks != 0 {
			t.Fatalf("%d files and %d chunks left", files, chunks)
		}
		_, err = s.LoadArtifact(ctx, v)
		wantCode(t, err, model.CodeNotFound)
	})
}

func TestLoadArtifactRefusesCorruption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion
		want    string
	}{
		{"a flipped byte in a stored chunk is corrupt", func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion {
			c := editChunks(s)
			data := c.chunkData(t, v.JobID, 1)
			data[100] ^= 0x01
			c.setChunkData(t, v.JobID, 1, data)
			return v
		}, model.CodeCorrupt},
		{"a missing chunk is corrupt", func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion {
			editChunks(s).deleteChunk(t, v.JobID, 2)
			return v
		}, model.CodeCorrupt},
		{"a truncated chunk is corrupt", func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion {
			c := editChunks(s)
			c.setChunkData(t, v.JobID, 0, c.chunkData(t, v.JobID, 0)[:10])
			return v
		}, model.CodeCorrupt},
		{"a version recording another size is corrupt", func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion {
			v.Artifact.SizeBytes++
			return v
		}, model.CodeCorrupt},
		{"a version recording another sha256 is corrupt", func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion {
			v.Artifact.SHA256 = v.Artifact.SHA256[1:] + "0"
			return v
		}, model.CodeCorrupt},
		{"a missing file is not found", func(t *testing.T, s *Store, v *model.ModelVersion) *model.ModelVersion {
			if err := s.removeFile(ctx, BucketArtifacts, v.JobID); err != nil {
				t.Fatal(err)
			}
			return v
		}, model.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			v := putVersion(t, s, "iris", "j1", artifactData(1))
			if _, err := s.LoadArtifact(ctx, v); err != nil {
				t.Fatalf("before: %v", err)
			}
			_, err := s.LoadArtifact(ctx, tc.corrupt(t, s, v))
			wantCode(t, err, tc.want)
		})
	}
}

// chunkEditor edits the artifacts' chunks behind the store's back.
type chunkEditor struct {
	s    *Store
	name string
}

func editChunks(s *Store) *chunkEditor {
	return &chunkEditor{s, BucketArtifacts + ".chunks"}
}

func (c *chunkEditor) chunkFilter(job string, n int32) bson.D {
	return bson.D{{Key: "files_id", Value: job}, {Key: "n", Value: n}}
}

func (c *chunkEditor) chunkData(tb testing.TB, job string, n int32) []byte {
	tb.Helper()
	var chunk struct {
		Data []byte `bson:"data"`
	}
	if err := c.s.db.Collection(c.name).FindOne(context.Background(), c.chunkFilter(job, n)).Decode(&chunk); err != nil {
		tb.Fatal(err)
	}
	return chunk.Data
}

func (c *chunkEditor) setChunkData(tb testing.TB, job string, n int32, data []byte) {
	tb.Helper()
	res, err := c.s.db.Collection(c.name).UpdateOne(context.Background(), c.chunkFilter(job, n),
		bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: bson.Binary{Data: data}}}}})
	if err != nil || res.ModifiedCount != 1 {
		tb.Fatalf("update chunk %d: %+v, %v", n, res, err)
	}
}

func (c *chunkEditor) deleteChunk(tb testing.TB, job string, n int32) {
	tb.Helper()
	res, err := c.s.db.Collection(c.name).DeleteOne(context.Background(), c.chunkFilter(job, n))
	if err != nil || res.DeletedCount != 1 {
		tb.Fatalf("delete chunk %d: %+v, %v", n, res, err)
	}
}
