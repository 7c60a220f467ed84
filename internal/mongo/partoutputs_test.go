package mongo

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// outputData is n bytes of CSV-like output that differ by seed.
func outputData(n int, seed string) []byte {
	line := []byte(seed + ",5.1,3.5,setosa,0.97\n")
	return bytes.Repeat(line, n/len(line)+1)[:n]
}

// writeOutput writes data as a new output of p and closes it.
func writeOutput(tb testing.TB, s *Store, p *model.ScorePart, data []byte) model.PartOutput {
	tb.Helper()
	out, err := s.CreatePartOutput(context.Background(), p)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := out.Write(data); err != nil {
		tb.Fatalf("write output: %v", err)
	}
	if err := out.Close(); err != nil {
		tb.Fatalf("close output: %v", err)
	}
	return out
}

// complete writes data as p's output and records p done with it.
func complete(tb testing.TB, s *Store, p *model.ScorePart, data []byte) *model.ScorePart {
	tb.Helper()
	out := writeOutput(tb, s, p, data)
	if err := s.CompletePart(context.Background(), p.ID, "w", out.ID(), out.Size(), time.Now()); err != nil {
		tb.Fatalf("complete part: %v", err)
	}
	return part(tb, s, p.ID)
}

// readOutput reads p's output whole.
func readOutput(tb testing.TB, s *Store, p *model.ScorePart) []byte {
	tb.Helper()
	r, err := s.OpenPartOutput(context.Background(), p)
	if err != nil {
		tb.Fatalf("open output: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("read output: %v", err)
	}
	return b
}

// outputIDs lists the ids of the outputs bucket's files, and separately of
// the files its chunks belong to (in segments or GridFS chunks), that start
// with prefix.
func outputIDs(tb testing.TB, s *Store, prefix string) (files, chunked []string) {
	tb.Helper()
	ctx := context.Background()
	re := bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(prefix)}}
	list := func(coll, field string) []string {
		cur, err := s.db.Collection(coll).Find(ctx, bson.D{{Key: field, Value: re}})
		if err != nil {
			tb.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			tb.Fatal(err)
		}
		seen := map[string]bool{}
		var ids []string
		for _, d := range docs {
			if id := d[field].(string); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return ids
	}
	chunked = append(segmentedFiles(tb, s, BucketOutputs, prefix), list(BucketOutputs+".chunks", "files_id")...)
	return list(BucketOutputs+".files", "_id"), chunked
}

func TestPartOutput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	t.Run("an output of several chunks reads back byte for byte", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		data := outputData(600<<10, "a")
		done := complete(t, s, p, data)
		if !regexp.MustCompile(`^`+regexp.QuoteMeta(p.ID)+`\.[0-9a-f]{8}$`).MatchString(done.Output) || done.OutputBytes != int64(len(data)) {
			t.Fatalf("the part records output %q of %d bytes", done.Output, done.OutputBytes)
		}
		if got := readOutput(t, s, done); !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, want %d", len(got), len(data))
		}
		// Written in segments, 600 KiB in one, no GridFS chunk.
		if files, chunked := outputIDs(t, s, p.ID); !slices.Equal(files, []string{done.Output}) || !slices.Equal(chunked, files) {
			t.Fatalf("files %v, chunks of %v", files, chunked)
		}
		if seg := segmentColl(BucketOutputs, done.Output, 0); !slices.Contains(collections(t, s), seg) {
			t.Fatalf("no collection %s", seg)
		}
	})
	t.Run("each scoring writes a file of its own", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		one := writeOutput(t, s, p, []byte("1\n"))
		two := writeOutput(t, s, p, []byte("2\n"))
		if one.ID() == two.ID() {
			t.Fatalf("two scorings share file %s", one.ID())
		}
	})
	t.Run("a scoring lists its file on the part before writing anything", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		one, err := s.CreatePartOutput(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := part(t, s, p.ID).Files; !slices.Equal(got, []string{one.ID()}) {
			t.Fatalf("before any write, the part lists %v, want %s", got, one.ID())
		}
		two := writeOutput(t, s, p, []byte("2\n"))
		if got := part(t, s, p.ID).Files; !slices.Equal(got, []string{one.ID(), two.ID()}) {
			t.Fatalf("the part lists %v, want %s and %s", got, one.ID(), two.ID())
		}
		if p.Files != nil {
			t.Fatalf("the caller's part changed: it lists %v", p.Files)
		}
	})
	t.Run("concurrent scorings and claims lose no file", func(t *testing.T) {
		// FerretDB v1 applies an update by rewriting the document it read.
		p := createParts(t, s, 1)[0]
		now := time.Now()
		const n = 8
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				out, err := s.CreatePartOutput(ctx, p)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = out.ID()
			})
			wg.Go(func() {
				if _, err := s.ClaimPart(ctx, p.ID, "a", now, now.Add(time.Duration(i+1)*time.Minute)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := part(t, s, p.ID)
		if !equalSets(got.Files, ids) || got.Owner != "a" || got.LeaseUntil.Before(now) {
			t.Fatalf("the part lists %v, want %v; claimed by %q until %v", got.Files, ids, got.Owner, got.LeaseUntil)
		}
	})
	t.Run("no output starts for a part that does not exist", func(t *testing.T) {
		_, err := s.CreatePartOutput(ctx, &model.ScorePart{ID: "nope.000000", JobID: "nope"})
		wantCode(t, err, model.CodeNotFound)
		if files, chunked := outputIDs(t, s, "nope."); len(files)+len(chunked) != 0 {
			t.Fatalf("files %v and chunks of %v", files, chunked)
		}
		_, err = s.CreatePartOutput(ctx, nil)
		wantCode(t, err, model.CodeInvalid)
	})
	t.Run("an empty output is a file too", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		done := complete(t, s, p, nil)
		if got := readOutput(t, s, done); len(got) != 0 {
			t.Fatalf("read back %q", got)
		}
	})
	for _, closed := range []bool{false, true} {
		name := map[bool]string{false: "an output aborted midway", true: "a closed output aborted"}[closed]
		t.Run(name+" leaves nothing", func(t *testing.T) {
			p := createParts(t, s, 1)[0]
			out, err := s.CreatePartOutput(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := out.Write(outputData(600<<10, "x")); err != nil {
				t.Fatal(err)
			}
			if closed {
				if err := out.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if _, chunked := outputIDs(t, s, p.ID); len(chunked) != 1 {
				t.Fatalf("before the abort, chunks of %v", chunked)
			}
			out.Abort()
			out.Abort()
			if files, chunked := outputIDs(t, s, p.ID); len(files)+len(chunked) != 0 {
				t.Fatalf("left files %v and chunks of %v", files, chunked)
			}
			if _, err := out.Write([]byte("more")); err == nil {
				t.Fatal("a write after the abort succeeded")
			}
		})
	}
	t.Run("an abort runs when the writer's context is done", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		wctx, cancel := context.WithCancel(ctx)
		out, err := s.CreatePartOutput(wctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := out.Write(outputData(300<<10, "x")); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := out.Write(outputData(300<<10, "x")); err == nil {
			t.Fatal("a write on a canceled context succeeded")
		}
		out.Abort()
		if files, chunked := outputIDs(t, s, p.ID); len(files)+len(chunked) != 0 {
			t.Fatalf("left files %v and chunks of %v", files, chunked)
		}
	})
	t.Run("a missing output is not found", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		_, err := s.OpenPartOutput(ctx, p)
		wantCode(t, err, model.CodeNotFound)
		p.Output, p.OutputBytes = p.ID+".00000000", 10
		_, err = s.OpenPartOutput(ctx, p)
		wantCode(t, err, model.CodeNotFound)
	})
	t.Run("an output whose size differs from the part's is corrupt", func(t *testing.T) {
		p := createParts(t, s, 1)[0]
		done := complete(t, s, p, []byte("1\n2\n"))
		done.OutputBytes = 5
		_, err := s.OpenPartOutput(ctx, done)
		wantCode(t, err, model.CodeCorrupt)
	})
}

// deletes lists the delete commands among cmds (of a commandLog).
func deletes(cmds []string) []string {
	var dels []string
	for _, c := range cmds {
		if strings.HasPrefix(c, "delete ") {
			dels = append(dels, c)
		}
	}
	return dels
}

func TestRemoveOrphanOutputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, log := newMonitoredStore(t)
	parts := createParts(t, s, 3)
	jobID := parts[0].JobID

	// Part 0: a duplicate scoring closed its file but lost the race.
	lost := writeOutput(t, s, parts[0], outputData(300<<10, "lost"))
	kept0 := complete(t, s, parts[0], outputData(300<<10, "won"))
	// Part 1: a scorer was killed midway (chunks, no files document), then
	// another completed it.
	killed, err := s.CreatePartOutput(ctx, parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := killed.Write(outputData(600<<10, "killed")); err != nil {
		t.Fatal(err)
	}
	kept1 := complete(t, s, parts[1], outputData(10, "won"))
	// Part 2 failed after writing a whole file.
	failed := writeOutput(t, s, parts[2], outputData(10, "failed"))
	if err := s.FailPart(ctx, parts[2].ID, &model.JobError{Code: model.CodeInvalid, Message: "bad row"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Another job, whose id the first's extends, keeps everything.
	other := plan(jobID+"x", 1)
	if err := s.CreateParts(ctx, other); err != nil {
		t.Fatal(err)
	}
	otherFile := writeOutput(t, s, other[0], outputData(10, "other"))

	log.take()
	if err := s.RemoveOrphanOutputs(ctx, jobID); err != nil {
		t.Fatal(err)
	}
	if dels := deletes(log.take()); !slices.Equal(dels, []string{"delete outputs.files", "delete outputs.chunks"}) {
		t.Fatalf("the removal sent %v", dels)
	}

	files, chunked := outputIDs(t, s, jobID+".")
	want := []string{kept0.Output, kept1.Output}
	if !equalSets(files, want) || !equalSets(chunked, want) {
		t.Fatalf("files %v and chunks of %v remain, want those of %v; removed %s, %s, %s", files, chunked, want, lost.ID(), killed.ID(), failed.ID())
	}
	if !bytes.Equal(readOutput(t, s, kept0), outputData(300<<10, "won")) {
		t.Fatal("the kept output of part 0 changed")
	}
	if files, chunked := outputIDs(t, s, jobID+"x."); !equalSets(files, []string{otherFile.ID()}) || !equalSets(chunked, files) {
		t.Fatalf("the other job has files %v and chunks of %v", files, chunked)
	}
	if err := s.RemoveOrphanOutputs(ctx, jobID); err != nil {
		t.Fatalf("a second removal: %v", err)
	}
	// The other job has no done part: all its outputs are orphans.
	if err := s.RemoveOrphanOutputs(ctx, jobID+"x"); err != nil {
		t.Fatal(err)
	}
	if files, chunked := outputIDs(t, s, jobID+"x."); len(files)+len(chunked) != 0 {
		t.Fatalf("the other job kept files %v and chunks of %v", files, chunked)
	}

	t.Run("with no orphans it reads the parts and nothing else", func(t *testing.T) {
		parts := createParts(t, s, 2)
		var want []string
		for _, p := range parts {
			want = append(want, complete(t, s, p, outputData(300<<10, "won")).Output)
		}
		// A file with the job's prefix that no part lists, which only a
		// search of the bucket would find.
		stray := s.newFileWriter(ctx, BucketOutputs, parts[0].ID+".00000000", parts[0].ID)
		if _, err := stray.Write(outputData(300<<10, "stray")); err != nil {
			t.Fatal(err)
		}
		if err := stray.Close(); err != nil {
			t.Fatal(err)
		}
		want = append(want, stray.id)

		log.take()
		if err := s.RemoveOrphanOutputs(ctx, parts[0].JobID); err != nil {
			t.Fatal(err)
		}
		if cmds := log.take(); !slices.Equal(cmds, []string{"find " + collParts}) {
			t.Fatalf("the removal sent %v", cmds)
		}
		if files, chunked := outputIDs(t, s, parts[0].JobID+"."); !equalSets(files, want) || !equalSets(chunked, want) {
			t.Fatalf("files %v and chunks of %v remain, want those of %v", files, chunked, want)
		}
	})
	t.Run("a job without parts has no orphans", func(t *testing.T) {
		log.take()
		if err := s.RemoveOrphanOutputs(ctx, bson.NewObjectID().Hex()); err != nil {
			t.Fatal(err)
		}
		if dels := deletes(log.take()); len(dels) != 0 {
			t.Fatalf("the removal sent %v", dels)
		}
		wantCode(t, s.RemoveOrphanOutputs(ctx, ""), model.CodeInvalid)
	})
}

func TestDeleteParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	parts := createParts(t, s, 2)
	jobID := parts[0].JobID
	complete(t, s, parts[0], outputData(300<<10, "done"))
	midway, err := s.CreatePartOutput(ctx, parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := midway.Write(outputData(300<<10, "midway")); err != nil {
		t.Fatal(err)
	}
	others := createParts(t, s, 1)
	complete(t, s, others[0], outputData(10, "other"))

	if err := s.DeleteParts(ctx, jobID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Parts(ctx, jobID)
	if err != nil || len(got) != 0 {
		t.Fatalf("parts left: %v, %v", got, err)
	}
	if files, chunked := outputIDs(t, s, jobID+"."); len(files)+len(chunked) != 0 {
		t.Fatalf("left files %v and chunks of %v", files, chunked)
	}
	if got, err := s.Parts(ctx, others[0].JobID); err != nil || len(got) != 1 {
		t.Fatalf("the other job's parts: %v, %v", got, err)
	}
	if files, chunked := outputIDs(t, s, others[0].JobID+"."); len(files) != 1 || len(chunked) != 1 {
		t.Fatalf("the other job's files %v and chunks of %v", files, chunked)
	}
	if err := s.DeleteParts(ctx, jobID); err != nil {
		t.Fatalf("a second delete: %v", err)
	}
	wantCode(t, s.DeleteParts(ctx, ""), model.CodeInvalid)
}

// equalSets reports whether a and b hold the same strings, ignoring order.
func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}
