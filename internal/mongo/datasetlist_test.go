package mongo

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

func TestListDatasets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	// Three datasets share one created_at, so pages must break ties by id.
	var want []string // newest first
	for _, at := range []time.Time{t0, t0, t0, t0.Add(time.Second), t0.Add(2 * time.Second)} {
		d := &model.Dataset{ID: bson.NewObjectID().Hex(), Name: "d", CreatedAt: at}
		if err := s.InsertDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
		want = append([]string{d.ID}, want...)
	}
	// Ids increase, so within the tie the later insert sorts first too.

	t.Run("pages of two list every dataset once, newest first", func(t *testing.T) {
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			if page > len(want) {
				t.Fatal("the listing does not end")
			}
			p, err := s.ListDatasets(ctx, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Datasets) > 2 {
				t.Fatalf("page %d has %d datasets", page, len(p.Datasets))
			}
			for _, d := range p.Datasets {
				got = append(got, d.ID)
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	})
	t.Run("a listing summarizes each dataset without its columns", func(t *testing.T) {
		s := newStore(t)
		d := createDataset(t, s, "wide", "a,b,c\n1,2,3\n")
		p, err := s.ListDatasets(ctx, 0, "")
		if err != nil || len(p.Datasets) != 1 {
			t.Fatalf("page %+v, err %v", p, err)
		}
		want := model.DatasetSummary{ID: d.ID, Name: "wide", Rows: 1, ColumnCount: 3, SizeBytes: d.SizeBytes,
			SHA256: d.SHA256, CreatedAt: d.CreatedAt}
		if got := *p.Datasets[0]; !reflect.DeepEqual(got, want) {
			t.Fatalf("summary %+v, want %+v", got, want)
		}
		got, err := s.Dataset(ctx, d.ID)
		if err != nil || len(got.Columns) != 3 || got.Columns[2].Name != "c" {
			t.Fatalf("the dataset itself: %+v, %v; want its three columns", got, err)
		}
	})
	t.Run("a page holding the rest has no next cursor", func(t *testing.T) {
		p, err := s.ListDatasets(ctx, 0, "")
		if err != nil || len(p.Datasets) != len(want) || p.NextCursor != "" {
			t.Fatalf("page %+v, err %v", p, err)
		}
	})
	t.Run("a cursor this store did not make is invalid, naming cursor", func(t *testing.T) {
		_, err := s.ListDatasets(ctx, 2, "not-a-cursor")
		wantCode(t, err, model.CodeInvalid)
		if e, _ := errors.AsType[*model.Error](err); e.Fields["cursor"] == "" {
			t.Fatalf("error %v does not name cursor", err)
		}
	})
	t.Run("an empty store lists an empty page", func(t *testing.T) {
		p, err := newStore(t).ListDatasets(ctx, 0, "")
		if err != nil || p.Datasets == nil || len(p.Datasets) != 0 || p.NextCursor != "" {
			t.Fatalf("page %+v, err %v", p, err)
		}
	})
}
