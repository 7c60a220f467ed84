package mongo

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// plan returns n fresh parts of job jobID, of 10 rows and 100 bytes each.
func plan(jobID string, n int) []*model.ScorePart {
	parts := make([]*model.ScorePart, n)
	for i := range parts {
		parts[i] = &model.ScorePart{
			JobID: jobID, Index: i,
			Offset: 20 + int64(i)*100, Length: 100, FirstRow: int64(i) * 10, Rows: 10,
		}
	}
	return parts
}

// createParts stores a plan of n parts for a new job id and returns them.
func createParts(tb testing.TB, s *Store, n int) []*model.ScorePart {
	tb.Helper()
	parts := plan(bson.NewObjectID().Hex(), n)
	if err := s.CreateParts(context.Background(), parts); err != nil {
		tb.Fatalf("create parts: %v", err)
	}
	return parts
}

// part reads part id back.
func part(tb testing.TB, s *Store, id string) *model.ScorePart {
	tb.Helper()
	var p model.ScorePart
	if err := s.db.Collection(collParts).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&p); err != nil {
		tb.Fatalf("read part %s: %v", id, err)
	}
	return &p
}

// wantConflict fails tb unless err is CodeConflict with a message
// containing want.
func wantConflict(tb testing.TB, err error, want string) {
	tb.Helper()
	wantCode(tb, err, model.CodeConflict)
	if !strings.Contains(model.ErrorMessage(err), want) {
		tb.Fatalf("conflict %q does not say %q", model.ErrorMessage(err), want)
	}
}

func TestCreateParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	t.Run("a plan reads back whole, by index", func(t *testing.T) {
		parts := plan(bson.NewObjectID().Hex(), 12)
		// Inserted out of order, read back in order.
		shuffled := append([]*model.ScorePart{}, parts[7:]...)
		shuffled = append(shuffled, parts[:7]...)
		if err := s.CreateParts(ctx, shuffled); err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if p.ID != model.PartID(p.JobID, p.Index) || p.Status != model.PartPending {
				t.Fatalf("part %d was given id %q and status %q", p.Index, p.ID, p.Status)
			}
		}
		got, err := s.Parts(ctx, parts[0].JobID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, parts) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, parts)
		}
	})
	t.Run("planning a job twice keeps the first plan", func(t *testing.T) {
		first := createParts(t, s, 3)
		jobID := first[0].JobID
		if _, err := s.ClaimPart(ctx, first[1].ID, "w1", time.Now(), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		before, err := s.Parts(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		// The second plan repeats the first three parts, changed, and adds one.
		second := plan(jobID, 4)
		for _, p := range second {
			p.Rows = 99
		}
		if err := s.CreateParts(ctx, second); err != nil {
			t.Fatalf("second plan: %v", err)
		}
		after, err := s.Parts(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != 4 || !reflect.DeepEqual(after[:3], before) || after[3].Rows != 99 {
			t.Fatalf("after the second plan:\n%+v\nbefore:\n%+v", after, before)
		}
	})
	t.Run("a job without parts has an empty list", func(t *testing.T) {
		got, err := s.Parts(ctx, bson.NewObjectID().Hex())
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("parts %v, err %v", got, err)
		}
	})
	t.Run("a part not named after its job and index is refused", func(t *testing.T) {
		parts := plan(bson.NewObjectID().Hex(), 1)
		parts[0].ID = "other"
		wantCode(t, s.CreateParts(ctx, parts), model.CodeInvalid)
	})
}

func TestClaimPart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.UTC)
	lease := 30 * time.Second

	t.Run("a claim holds until it lapses or is released", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID

		got, err := s.ClaimPart(ctx, id, "a", now, now.Add(lease))
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != "a" || !got.LeaseUntil.Equal(utcMillis(now.Add(lease))) || got.Status != model.PartPending {
			t.Fatalf("claimed part: %+v", got)
		}

		held, err := s.ClaimPart(ctx, id, "b", now.Add(10*time.Second), now.Add(40*time.Second))
		wantConflict(t, err, "claimed by a until 2026-01-02T03:04:35.678Z")
		if held == nil || held.Owner != "a" {
			t.Fatalf("the conflict returned %+v", held)
		}

		renewed, err := s.ClaimPart(ctx, id, "a", now.Add(20*time.Second), now.Add(50*time.Second))
		if err != nil || !renewed.LeaseUntil.Equal(utcMillis(now.Add(50*time.Second))) {
			t.Fatalf("renewal: %+v, %v", renewed, err)
		}
		_, err = s.ClaimPart(ctx, id, "b", now.Add(49*time.Second), now.Add(80*time.Second))
		wantConflict(t, err, "claimed by a")

		taken, err := s.ClaimPart(ctx, id, "b", now.Add(51*time.Second), now.Add(81*time.Second))
		if err != nil || taken.Owner != "b" {
			t.Fatalf("claim of a lapsed part: %+v, %v", taken, err)
		}

		if err := s.ReleasePart(ctx, id, "a"); err != nil {
			t.Fatal(err)
		}
		_, err = s.ClaimPart(ctx, id, "a", now.Add(52*time.Second), now.Add(82*time.Second))
		wantConflict(t, err, "claimed by b")

		if err := s.ReleasePart(ctx, id, "b"); err != nil {
			t.Fatal(err)
		}
		again, err := s.ClaimPart(ctx, id, "a", now.Add(52*time.Second), now.Add(82*time.Second))
		if err != nil || again.Owner != "a" {
			t.Fatalf("claim after release: %+v, %v", again, err)
		}
	})
	t.Run("concurrent claimers get one claim between them", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.ClaimPart(ctx, id, string(rune('a'+i)), now, now.Add(lease))
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch model.ErrorCode(err) {
			case "":
				won++
			case model.CodeConflict:
			default:
				t.Fatalf("claimer %d: %v", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d claimers won, want 1", won)
		}
	})
	t.Run("an unknown part is not found", func(t *testing.T) {
		_, err := s.ClaimPart(ctx, "nope.000000", "a", now, now.Add(lease))
		wantCode(t, err, model.CodeNotFound)
		if err := s.ReleasePart(ctx, "nope.000000", "a"); err != nil {
			t.Fatalf("release: %v", err)
		}
	})
	t.Run("a claim needs an owner", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID
		_, err := s.ClaimPart(ctx, id, "", now, now.Add(lease))
		wantCode(t, err, model.CodeInvalid)
	})
}

func TestFinishPart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	boom := &model.JobError{Code: model.CodeInvalid, Message: "row 3: not a number"}

	t.Run("the first scoring to complete wins and the part is final", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID
		if _, err := s.ClaimPart(ctx, id, "a", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// b's claim is not needed to complete: its rows score the same.
		if err := s.CompletePart(ctx, id, "b", id+".0000000b", 1234, now); err != nil {
			t.Fatal(err)
		}
		got := part(t, s, id)
		if got.Status != model.PartDone || got.Owner != "b" || got.Output != id+".0000000b" ||
			got.OutputBytes != 1234 || got.FinishedAt == nil || !got.FinishedAt.Equal(now) {
			t.Fatalf("completed part: %+v", got)
		}
		wantConflict(t, s.CompletePart(ctx, id, "a", id+".0000000a", 1234, now), "is done")
		wantConflict(t, s.FailPart(ctx, id, boom, now), "is done")
		_, err := s.ClaimPart(ctx, id, "a", now, now.Add(time.Minute))
		wantConflict(t, err, "is done")
		if err := s.ReleasePart(ctx, id, "b"); err != nil {
			t.Fatal(err)
		}
		if after := part(t, s, id); !reflect.DeepEqual(after, got) {
			t.Fatalf("a refused change changed the part:\n%+v\nwas\n%+v", after, got)
		}
	})
	t.Run("concurrent completions record one output", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.CompletePart(ctx, id, "w", id+"."+strings.Repeat(string(rune('a'+i)), 8), 10, now)
			})
		}
		wg.Wait()
		var winner string
		for i, err := range errs {
			switch model.ErrorCode(err) {
			case "":
				if winner != "" {
					t.Fatalf("completers %s and %d both won", winner, i)
				}
				winner = id + "." + strings.Repeat(string(rune('a'+i)), 8)
			case model.CodeConflict:
			default:
				t.Fatalf("completer %d: %v", i, err)
			}
		}
		if got := part(t, s, id); got.Output != winner {
			t.Fatalf("the part records %q, the winner wrote %q", got.Output, winner)
		}
	})
	t.Run("a failed part is final", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID
		if err := s.FailPart(ctx, id, boom, now); err != nil {
			t.Fatal(err)
		}
		got := part(t, s, id)
		if got.Status != model.PartFailed || !reflect.DeepEqual(got.Error, boom) || got.FinishedAt == nil {
			t.Fatalf("failed part: %+v", got)
		}
		wantConflict(t, s.FailPart(ctx, id, boom, now), "failed")
		wantConflict(t, s.CompletePart(ctx, id, "a", id+".0000000a", 1, now), "failed")
		_, err := s.ClaimPart(ctx, id, "a", now, now.Add(time.Minute))
		wantConflict(t, err, "failed")
	})
	t.Run("an unknown part is not found", func(t *testing.T) {
		wantCode(t, s.CompletePart(ctx, "nope.000000", "a", "nope.000000.0000000a", 1, now), model.CodeNotFound)
		wantCode(t, s.FailPart(ctx, "nope.000000", boom, now), model.CodeNotFound)
	})
	t.Run("an output that is not the part's is refused", func(t *testing.T) {
		id := createParts(t, s, 1)[0].ID
		wantCode(t, s.CompletePart(ctx, id, "a", "elsewhere", 1, now), model.CodeInvalid)
		if got := part(t, s, id); got.Status != model.PartPending {
			t.Fatalf("the part is %s", got.Status)
		}
	})
}
