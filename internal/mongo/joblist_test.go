package mongo

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

func TestListJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	// Five jobs share one created_at, so pages must break ties by id.
	var all []*model.Job
	for i, spec := range []struct {
		at      time.Time
		typ     model.JobType
		name    string
		running bool
	}{
		{t0, model.JobTrain, "iris", false},
		{t0, model.JobScore, "iris", true},
		{t0, model.JobTrain, "wine", false},
		{t0, model.JobScore, "wine", false},
		{t0, model.JobTrain, "iris", true},
		{t0.Add(time.Second), model.JobTrain, "wine", false},
		{t0.Add(time.Second), model.JobScore, "iris", false},
		{t0.Add(2 * time.Second), model.JobTrain, "iris", false},
	} {
		s.now = func() time.Time { return spec.at }
		job := trainJob(spec.name)
		job.Type, job.Request.Type = spec.typ, spec.typ
		job = createJob(t, s, job)
		if spec.running {
			if _, err := s.StartAttempt(ctx, job.ID, spec.at); err != nil {
				t.Fatalf("start job %d: %v", i, err)
			}
			job.Status = model.StatusRunning
		}
		all = append(all, job)
	}
	slices.SortFunc(all, func(a, b *model.Job) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	ids := func(jobs []*model.Job, keep func(*model.Job) bool) []string {
		var out []string
		for _, j := range jobs {
			if keep(j) {
				out = append(out, j.ID)
			}
		}
		return out
	}

	t.Run("pages of three list every job once, newest first", func(t *testing.T) {
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			if page > len(all) {
				t.Fatal("the listing does not end")
			}
			p, err := s.ListJobs(ctx, model.JobFilter{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Jobs) > 3 {
				t.Fatalf("page %d has %d jobs", page, len(p.Jobs))
			}
			got = append(got, ids(p.Jobs, func(*model.Job) bool { return true })...)
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if want := ids(all, func(*model.Job) bool { return true }); !slices.Equal(got, want) {
			t.Errorf("listed\n%v\nwant\n%v", got, want)
		}
	})
	for _, tc := range []struct {
		name   string
		filter model.JobFilter
		keep   func(*model.Job) bool
	}{
		{"a type filter keeps only that type", model.JobFilter{Type: model.JobScore},
			func(j *model.Job) bool { return j.Type == model.JobScore }},
		{"a status filter keeps only that status", model.JobFilter{Status: model.StatusRunning},
			func(j *model.Job) bool { return j.Status == model.StatusRunning }},
		{"a model filter keeps only that model's jobs", model.JobFilter{Model: "wine"},
			func(j *model.Job) bool { return j.Request.Model == "wine" }},
		{"filters combine", model.JobFilter{Type: model.JobTrain, Model: "iris"},
			func(j *model.Job) bool { return j.Type == model.JobTrain && j.Request.Model == "iris" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.ListJobs(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(p.Jobs, func(*model.Job) bool { return true })
			if want := ids(all, tc.keep); !slices.Equal(got, want) || p.NextCursor != "" {
				t.Errorf("listed %v (next %q), want %v", got, p.NextCursor, want)
			}
		})
	}
	t.Run("the last full page has no next cursor", func(t *testing.T) {
		p, err := s.ListJobs(ctx, model.JobFilter{Limit: len(all)})
		if err != nil || len(p.Jobs) != len(all) || p.NextCursor != "" {
			t.Errorf("got %d jobs, next %q, err %v", len(p.Jobs), p.NextCursor, err)
		}
	})
	t.Run("nothing matching is an empty page", func(t *testing.T) {
		p, err := s.ListJobs(ctx, model.JobFilter{Model: "nope"})
		if err != nil || p.Jobs == nil || len(p.Jobs) != 0 {
			t.Errorf("got %v, err %v", p, err)
		}
	})
	for _, tc := range []struct {
		name   string
		filter model.JobFilter
	}{
		{"a made-up cursor is invalid", model.JobFilter{Cursor: "not-a-cursor"}},
		{"an unknown status is invalid", model.JobFilter{Status: "sleeping"}},
		{"an unknown type is invalid", model.JobFilter{Type: "predict"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ListJobs(ctx, tc.filter)
			wantCode(t, err, model.CodeInvalid)
		})
	}
}
