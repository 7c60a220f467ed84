package mongo

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// Page sizes of ListJobs.
const (
	DefaultJobLimit = 50
	MaxJobLimit     = 200
)

// ListJobs implements model.JobStore. Jobs come newest first, ordered by
// (created_at, id) so that pages neither skip nor repeat jobs created in the
// same millisecond. A limit of 0 or less means DefaultJobLimit; more than
// MaxJobLimit means MaxJobLimit. CodeInvalid for an unknown type or status
// or a cursor this store did not make.
func (s *Store) ListJobs(ctx context.Context, f model.JobFilter) (*model.JobPage, error) {
	filter, err := jobFilter(f)
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultJobLimit
	}
	limit = min(limit, MaxJobLimit)

	ctx, cancel := s.op(ctx)
	defer cancel()
	// One more than the page tells whether there is a next page.
	cur, err := s.db.Collection(collJobs).Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit)+1))
	if err != nil {
		return nil, storeErr("list jobs", err)
	}
	jobs := []*model.Job{}
	if err := cur.All(ctx, &jobs); err != nil {
		return nil, storeErr("list jobs", err)
	}
	page := &model.JobPage{Jobs: jobs}
	if len(jobs) > limit {
		page.Jobs = jobs[:limit]
		last := page.Jobs[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// jobFilter translates f into a query.
func jobFilter(f model.JobFilter) (bson.D, error) {
	problems := map[string]string{}
	filter := bson.D{}
	if f.Type != "" {
		if !slices.Contains(model.JobTypes(), f.Type) {
			problems["type"] = fmt.Sprintf("unknown job type %q", f.Type)
		}
		filter = append(filter, bson.E{Key: "type", Value: f.Type})
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			problems["status"] = fmt.Sprintf("unknown job status %q", f.Status)
		}
		filter = append(filter, bson.E{Key: "status", Value: f.Status})
	}
	if f.Model != "" {
		filter = append(filter, bson.E{Key: "request.model", Value: f.Model})
	}
	if f.Cursor != "" {
		at, id, ok := decodeCursor(f.Cursor)
		if !ok {
			problems["cursor"] = "not a cursor from a previous page"
		}
		// Strictly after the cursor's job in (created_at desc, _id desc).
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: at}}}},
			bson.D{{Key: "created_at", Value: at}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: id}}}},
		}})
	}
	if err := model.Invalid(problems); err != nil {
		return nil, err
	}
	return filter, nil
}

// encodeCursor makes the opaque cursor that resumes a listing after the job
// created at t with id: base64url of "unixnanos:id".
func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixNano(), 10) + ":" + id))
}

// decodeCursor reverses encodeCursor.
func decodeCursor(c string) (t time.Time, id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	nanos, id, found := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !found || err != nil || id == "" {
		return time.Time{}, "", false
	}
	return time.Unix(0, n).UTC(), id, true
}
