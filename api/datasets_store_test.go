package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// storeDatasetLimit lets the real-store tests upload a file of several
// GridFS chunks.
const storeDatasetLimit = 1 << 20

// newStoreEnv is the API over a real Store on an embedded FerretDB, with a
// fake queue.
func newStoreEnv(tb testing.TB) (*testEnv, *mongo.Store) {
	tb.Helper()
	store, err := mongo.Open(context.Background(), testenv.Mongo(tb), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close(context.Background()) })
	e := newTestEnv(tb, func(d *Deps) {
		d.Jobs, d.Datasets, d.Versions, d.Scores = store, store, store, store
		d.Limits.DatasetBytes = storeDatasetLimit
	})
	return e, store
}

// storedFiles counts the datasets and the datasets bucket's file documents
// and chunks, in either layout.
func storedFiles(tb testing.TB, store *mongo.Store) (datasets int, files, chunks int64) {
	tb.Helper()
	ctx := context.Background()
	page, err := store.ListDatasets(ctx, mongo.MaxDatasetLimit, "")
	if err != nil {
		tb.Fatal(err)
	}
	bucket := store.Bucket(mongo.BucketDatasets)
	if files, err = bucket.GetFilesCollection().CountDocuments(ctx, bson.D{}); err != nil {
		tb.Fatal(err)
	}
	if chunks, err = bucket.GetChunksCollection().CountDocuments(ctx, bson.D{}); err != nil {
		tb.Fatal(err)
	}
	// And the chunks of the files in segments, a collection each.
	db := bucket.GetFilesCollection().Database()
	segments, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: `^datasets\.seg\.`}}}})
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range segments {
		n, err := db.Collection(name).CountDocuments(ctx, bson.D{})
		if err != nil {
			tb.Fatal(err)
		}
		chunks += n
	}
	return len(page.Datasets), files, chunks
}

func TestDatasetsOnRealStore(t *testing.T) {
	t.Parallel()
	e, store := newStoreEnv(t)
	iris := readIris(t)

	var ids []string
	t.Run("iris as text/csv and as multipart is 201 with 150 typed rows and the file's sha256", func(t *testing.T) {
		for _, w := range []*httptest.ResponseRecorder{e.uploadCSV(t, "iris", iris), e.uploadMultipart(t, "iris", iris)} {
			d := mustJSON[model.Dataset](t, w, http.StatusCreated)
			want := model.Dataset{ID: d.ID, Name: "iris", Rows: 150, Columns: irisColumns(),
				SizeBytes: int64(len(iris)), SHA256: sha256Hex(iris), CreatedAt: d.CreatedAt}
			if !reflect.DeepEqual(d, want) || d.CreatedAt.IsZero() {
				t.Fatalf("dataset\n%+v\nwant\n%+v", d, want)
			}
			if got := mustJSON[model.Dataset](t, e.do(t, "GET", "/v1/datasets/"+d.ID, ""), http.StatusOK); !reflect.DeepEqual(got, d) {
				t.Fatalf("GET gave %+v, want %+v", got, d)
			}
			ids = append(ids, d.ID)
		}
	})
	t.Run("the download is the uploaded bytes", func(t *testing.T) {
		for _, id := range ids {
			w := e.do(t, "GET", "/v1/datasets/"+id+"/csv", "")
			if w.Code != http.StatusOK || w.Body.String() != iris {
				t.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
			}
			if w.Header().Get("ETag") != `"`+sha256Hex(iris)+`"` || w.Header().Get("Content-Length") != fmt.Sprint(len(iris)) {
				t.Fatalf("headers %v", w.Header())
			}
		}
	})
	t.Run("a CSV of several chunks round-trips", func(t *testing.T) {
		big := "x,y\n" + strings.Repeat("123456.789,abcdefgh\n", 40_000)
		d := mustJSON[model.Dataset](t, e.uploadMultipart(t, "big", big), http.StatusCreated)
		if d.Rows != 40_000 || d.SHA256 != sha256Hex(big) {
			t.Fatalf("dataset %+v", d)
		}
		if w := e.do(t, "GET", "/v1/datasets/"+d.ID+"/csv", ""); w.Body.String() != big {
			t.Fatalf("download gave %d bytes, want %d", w.Body.Len(), len(big))
		}
		ids = append(ids, d.ID)
	})
	t.Run("the listing pages through every upload, newest first", func(t *testing.T) {
		var got []string
		path := "/v1/datasets?limit=2"
		for range len(ids) + 1 {
			page := mustJSON[model.DatasetPage](t, e.do(t, "GET", path, ""), http.StatusOK)
			for _, d := range page.Datasets {
				got = append(got, d.ID)
			}
			if page.NextCursor == "" {
				break
			}
			path = "/v1/datasets?limit=2&cursor=" + page.NextCursor
		}
		if want := []string{ids[2], ids[1], ids[0]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	})

	datasets, files, chunks := storedFiles(t, store)
	leavesNothing := func(t *testing.T) {
		t.Helper()
		if d, f, c := storedFiles(t, store); d != datasets || f != files || c != chunks {
			t.Fatalf("datasets, files, chunks went from %d, %d, %d to %d, %d, %d", datasets, files, chunks, d, f, c)
		}
	}
	for _, bad := range badCSVs {
		t.Run(bad.name+" is 422 naming line "+fmt.Sprint(bad.line)+" and leaves nothing behind", func(t *testing.T) {
			mustNameLine(t, e.uploadCSV(t, "bad", bad.csv), bad.line)
			mustNameLine(t, e.uploadMultipart(t, "bad", bad.csv), bad.line)
			leavesNothing(t)
		})
	}
	t.Run("a ragged row after several chunks is 422 naming its line and leaves nothing behind", func(t *testing.T) {
		ragged := "x,y\n" + strings.Repeat("123456.789,abcdefgh\n", 40_000) + "1,2,3\n"
		mustNameLine(t, e.uploadMultipart(t, "ragged", ragged), 40_002)
		leavesNothing(t)
	})
	overSize := "x\n" + strings.Repeat("1\n", storeDatasetLimit/2)
	refusals := []struct {
		name   string
		w      func() *httptest.ResponseRecorder
		status int
	}{
		{"a declared length over the limit is 413", func() *httptest.ResponseRecorder { return e.uploadCSV(t, "big", overSize) }, http.StatusRequestEntityTooLarge},
		{"a streamed body over the limit is 413", func() *httptest.ResponseRecorder {
			return e.doStreamed(t, "POST", "/v1/datasets?name=big", "text/csv", strings.NewReader(overSize))
		}, http.StatusRequestEntityTooLarge},
		{"a multipart file over the limit is 413", func() *httptest.ResponseRecorder { return e.uploadMultipart(t, "big", overSize) }, http.StatusRequestEntityTooLarge},
		{"too many columns is 422", func() *httptest.ResponseRecorder {
			return e.uploadCSV(t, "wide", strings.Repeat("c,", testDatasetColumns)+"z\n"+strings.Repeat("1,", testDatasetColumns)+"2\n")
		}, http.StatusUnprocessableEntity},
		{"a wrong content type is 415", func() *httptest.ResponseRecorder {
			return e.do(t, "POST", "/v1/datasets?name=iris", iris, "Content-Type", "application/octet-stream")
		}, http.StatusUnsupportedMediaType},
		{"a missing name is 422", func() *httptest.ResponseRecorder {
			return e.do(t, "POST", "/v1/datasets", iris, "Content-Type", "text/csv")
		}, http.StatusUnprocessableEntity},
	}
	for _, tt := range refusals {
		t.Run(tt.name+" and leaves nothing behind", func(t *testing.T) {
			mustProblem(t, tt.w(), tt.status)
			leavesNothing(t)
		})
	}

	t.Run("delete is 409 while a queued job uses the dataset, and 204 with the file gone once it is canceled", func(t *testing.T) {
		id := ids[0]
		body := `{"type":"train","model":"iris","dataset":"` + id + `","target":"Species","algorithm":"random_forest"}`
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", body), http.StatusAccepted)
		p := mustProblem(t, e.do(t, "DELETE", "/v1/datasets/"+id, ""), http.StatusConflict)
		if !strings.Contains(p.Detail, job.ID) {
			t.Fatalf("detail %q does not name job %s", p.Detail, job.ID)
		}
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", ""), http.StatusAccepted)
		if w := e.do(t, "DELETE", "/v1/datasets/"+id, ""); w.Code != http.StatusNoContent {
			t.Fatalf("status %d; body %s", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "GET", "/v1/datasets/"+id, ""), http.StatusNotFound)
		mustProblem(t, e.do(t, "GET", "/v1/datasets/"+id+"/csv", ""), http.StatusNotFound)
		mustProblem(t, e.do(t, "DELETE", "/v1/datasets/"+id, ""), http.StatusNotFound)
		n, err := store.Bucket(mongo.BucketDatasets).GetFilesCollection().CountDocuments(context.Background(), bson.D{{Key: "_id", Value: id}})
		if err != nil || n != 0 {
			t.Fatalf("the dataset's file is still there (%d, %v)", n, err)
		}
		if d, f, c := storedFiles(t, store); d != datasets-1 || f != files-1 || c >= chunks {
			t.Fatalf("after the delete: %d datasets, %d files, %d chunks", d, f, c)
		}
	})
}
